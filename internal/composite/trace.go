package composite

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/tracing"
)

// traceDetect starts the span of one sound event's composite detection,
// in the trace stored with the event; events stored without one are not
// traced (the detection of an untraced producer has no trace to join).
func traceDetect(rec store.Record) tracing.Span {
	if !tracing.Enabled() || !tracing.Sampled(rec.Trace) {
		return tracing.Span{}
	}
	_, span := tracing.Start(tracing.FromTraceparent(context.Background(), rec.Trace), "composite.detect", trace.SpanKindConsumer,
		attribute.String("evtctl.owner", rec.Address.Owner),
		attribute.Int64("evtctl.seq", int64(rec.Seq)))
	return span
}

// endDetect records how many composites the event completed.
func endDetect(span tracing.Span, emissions int) {
	span.Set(attribute.Int("evtctl.emissions", emissions))
	span.End()
}
