package tracing

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// HeaderTraceparent is the W3C header (canonical form) that carries a
// trace context in HTTP requests and in stored event messages.
const HeaderTraceparent = "Traceparent"

// The W3C trace-context propagator is used whatever else is configured:
// traceparent is the one format the gateway keeps with events.
var w3c = propagation.TraceContext{}

// Span is a started span, or nothing when tracing is off (its methods
// then do nothing).
type Span struct{ s trace.Span }

// End ends the span.
func (s Span) End() {
	if s.s != nil {
		s.s.End()
	}
}

// Set adds attributes.
func (s Span) Set(kv ...attribute.KeyValue) {
	if s.s != nil {
		s.s.SetAttributes(kv...)
	}
}

// Fail marks the span as failed with a short description.
func (s Span) Fail(desc string) {
	if s.s != nil {
		s.s.SetStatus(codes.Error, desc)
	}
}

// Recording reports whether the span is sampled (attributes worth
// computing).
func (s Span) Recording() bool { return s.s != nil && s.s.IsRecording() }

// Start starts a span named name as a child of ctx's span (local or
// remote), when tracing is on.
func Start(ctx context.Context, name string, kind trace.SpanKind, kv ...attribute.KeyValue) (context.Context, Span) {
	if !enabled.Load() {
		return ctx, Span{}
	}
	ctx, s := (*tracer.Load()).Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(kv...))
	return ctx, Span{s: s}
}

// StartWith is Start with span options of the OpenTelemetry API (e.g. a
// start time already past).
func StartWith(ctx context.Context, name string, kind trace.SpanKind, opts ...trace.SpanStartOption) (context.Context, Span) {
	if !enabled.Load() {
		return ctx, Span{}
	}
	ctx, s := (*tracer.Load()).Start(ctx, name, append(opts, trace.WithSpanKind(kind))...)
	return ctx, Span{s: s}
}

// Extract returns ctx with the trace context of an incoming request's
// traceparent, when it has a valid one. Without the header it returns ctx
// as it is, allocating nothing.
func Extract(ctx context.Context, h http.Header) context.Context {
	if len(h[HeaderTraceparent]) == 0 {
		return ctx
	}
	return w3c.Extract(ctx, propagation.HeaderCarrier(h))
}

// Traceparent returns the traceparent of ctx's span (recorded here or
// received from a producer), or "" when ctx carries none.
func Traceparent(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	flags := "00"
	if sc.IsSampled() {
		flags = "01"
	}
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + flags
}

// FromTraceparent returns ctx continuing the trace of a stored
// traceparent (a malformed or empty one is ignored).
func FromTraceparent(ctx context.Context, tp string) context.Context {
	if tp == "" {
		return ctx
	}
	return w3c.Extract(ctx, propagation.HeaderCarrier(http.Header{HeaderTraceparent: {tp}}))
}

// Inject writes ctx's trace context into an outgoing request's headers.
func Inject(ctx context.Context, h http.Header) {
	if tp := Traceparent(ctx); tp != "" {
		h[HeaderTraceparent] = []string{tp}
	}
}

// Sampled reports whether a stored traceparent says its trace is sampled:
// spans continuing an unsampled trace would not be recorded, so the hot
// paths skip them without parsing it.
func Sampled(tp string) bool {
	if len(tp) != 55 {
		return false
	}
	switch tp[54] { // the low bit of the flags is "sampled"
	case '1', '3', '5', '7', '9', 'b', 'd', 'f':
		return true
	}
	return false
}
