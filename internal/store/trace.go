package store

import (
	"context"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/evtctl/evtctl/internal/tracing"
)

// headerTrace keeps the W3C traceparent of the request that appended a
// message (all events of a bundle come from one request), so that the
// webhook deliveries and the composite detection it causes continue the
// producer's trace. It is absent when the request carried none and the
// gateway does not trace.
const headerTrace = tracing.HeaderTraceparent

// traceAppend starts the storage span of an append.
func traceAppend(ctx context.Context, n int) (context.Context, tracing.Span) {
	return tracing.Start(ctx, "store.append", trace.SpanKindInternal, attribute.Int("evtctl.events", n))
}

// stampTrace stores ctx's traceparent with every message of an append.
func stampTrace(ctx context.Context, msgs []*nats.Msg) {
	tp := tracing.Traceparent(ctx)
	if tp == "" {
		return
	}
	for _, m := range msgs {
		m.Header[headerTrace] = []string{tp}
	}
}

// endAppend records the outcome of an append on its span.
func endAppend(span tracing.Span, res AppendResult, err error) {
	span.Set(attribute.Int("evtctl.accepted", res.Accepted), attribute.Int("evtctl.duplicates", res.Duplicates))
	if err != nil {
		span.Fail(err.Error())
	}
	span.End()
}
