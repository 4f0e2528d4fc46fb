package hub

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/tracing"
)

// fanoutTrace samples the fan-out for tracing: one span for the first
// event of each stored request, none for its other events and none for
// events stored without a sampled trace. The dispatch goroutine alone
// uses it.
type fanoutTrace struct{ req tracing.FirstOfRequest }

// start returns the span of rec's fan-out, or a no-op span.
func (f *fanoutTrace) start(rec store.Record) tracing.Span {
	if !f.req.Take(rec.Trace) {
		return tracing.Span{}
	}
	_, span := tracing.Start(tracing.FromTraceparent(context.Background(), rec.Trace), "hub.fanout", trace.SpanKindConsumer,
		attribute.String("evtctl.family", rec.Address.Family),
		attribute.Int64("evtctl.seq", int64(rec.Seq)))
	return span
}
