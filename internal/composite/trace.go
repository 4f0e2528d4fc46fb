package composite

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/tracing"
)

// detectTrace samples composite detection for tracing, in the trace
// stored with each sound event: a span for the first event of each stored
// request (tracing.FirstOfRequest) and for every event that completed a
// composite; none for the others, nor for events stored without a sampled
// trace. The follower goroutine alone uses it.
type detectTrace struct{ req tracing.FirstOfRequest }

// begin notes the start of rec's detection when it may get a span.
func (d *detectTrace) begin(rec store.Record) (time.Time, bool) {
	if !tracing.Enabled() || !tracing.Sampled(rec.Trace) {
		return time.Time{}, false
	}
	return time.Now(), true
}

// end records the span of rec's detection, begun at start, when it is the
// first of its request or completed composites.
func (d *detectTrace) end(rec store.Record, start time.Time, traced bool, emissions int) {
	if !traced {
		return
	}
	if !d.req.Take(rec.Trace) && emissions == 0 {
		return
	}
	_, span := tracing.StartWith(tracing.FromTraceparent(context.Background(), rec.Trace), "composite.detect", trace.SpanKindConsumer,
		trace.WithTimestamp(start),
		trace.WithAttributes(
			attribute.String("evtctl.owner", rec.Address.Owner),
			attribute.Int64("evtctl.seq", int64(rec.Seq)),
			attribute.Int("evtctl.emissions", emissions)))
	span.End()
}
