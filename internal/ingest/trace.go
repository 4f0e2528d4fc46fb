package ingest

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/evtctl/evtctl/internal/tracing"
)

// traceRequest continues the producer's trace (its traceparent header)
// with the ingest span. Off, only a request carrying a traceparent gets a
// new context, which the log then stores with its events.
func traceRequest(r *http.Request, family string) (*http.Request, tracing.Span) {
	ctx := tracing.Extract(r.Context(), r.Header)
	ctx, span := tracing.Start(ctx, "ingest", trace.SpanKindServer,
		attribute.String("http.request.method", r.Method),
		attribute.String("http.route", "/api/v1/events/{family}"),
		attribute.String("evtctl.family", family))
	if ctx == r.Context() {
		return r, span
	}
	return r.WithContext(ctx), span
}

// endRequest records the answer's status on the ingest span.
func endRequest(span tracing.Span, status int) {
	span.Set(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.Fail(http.StatusText(status))
	}
	span.End()
}
