package serve

import (
	"context"
	"fmt"
	"time"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/composite"
	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/stream"
	"github.com/evtctl/evtctl/internal/webhook"
)

// Components is the gateway's server.Builder: it builds the components
// the gateway runs besides keys, ingest and query, in construction order
// (a component uses those built before it), on the storage handles of one
// generation. The server calls it again for every generation.
func Components(ctx context.Context, h server.Handles) (cs []component.Component, err error) {
	defer func() {
		if err != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			component.Stop(sctx, cs)
			cs = nil
		}
	}()
	c := h.Config
	endpoints, err := endpoint.New(ctx, h.Env, c.Webhooks, c.Limits)
	if err != nil {
		return cs, fmt.Errorf("start endpoints: %w", err)
	}
	cs = append(cs, endpoints)
	webhooks, err := webhook.New(ctx, h.Env, c.Webhooks, c.Redact, h.Log, endpoints)
	if err != nil {
		return cs, fmt.Errorf("start webhooks: %w", err)
	}
	cs = append(cs, webhooks)
	rules, err := composite.New(ctx, h.Env, c.Composite, c.Limits, h.Log)
	if err != nil {
		return cs, fmt.Errorf("start composite: %w", err)
	}
	cs = append(cs, rules)
	streams, err := stream.New(ctx, h.Env, stream.ConfigOf(c), h.Log, h.Keys, endpoints)
	if err != nil {
		return cs, fmt.Errorf("start streams: %w", err)
	}
	return append(cs, streams), nil
}
