package webhook

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/evtctl/evtctl/internal/tracing"
)

// traceAttempt starts the client span of one delivery attempt, continuing
// the trace stored with the event (the producer's, through ingest and
// storage). Every attempt, retries and replays included, is its own span
// of that trace.
func traceAttempt(ctx context.Context, storedTrace, endpointID, webhookID string) (context.Context, tracing.Span) {
	ctx = tracing.FromTraceparent(ctx, storedTrace)
	return tracing.Start(ctx, "webhook.attempt", trace.SpanKindClient,
		attribute.String("evtctl.endpoint", endpointID),
		attribute.String("evtctl.webhook_id", webhookID))
}

// endAttempt records an attempt's outcome on its span.
func endAttempt(span tracing.Span, res result) {
	if span.Recording() {
		span.Set(attribute.String("evtctl.outcome", res.outcome()))
		if res.status != 0 {
			span.Set(attribute.Int("http.response.status_code", res.status))
		}
		if !res.ok() {
			span.Fail(res.outcome())
		}
	}
	span.End()
}
