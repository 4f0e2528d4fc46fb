package query

import (
	"context"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// New builds the query component on the generation's event log.
func New(events *store.Log) *Handler { return &Handler{Log: events} }

// Name implements component.Component.
func (h *Handler) Name() string { return "query" }

// Routes implements component.Component.
func (h *Handler) Routes() []component.Route {
	read := []string{proto.ScopeEventsRead}
	return []component.Route{
		{Method: "GET", Pattern: "/api/v1/events", Scopes: read, Summary: "Query recorded events.", Handler: h.Events()},
		{Method: "GET", Pattern: "/api/v1/composite-events", Scopes: read, Summary: "List composite events.", Handler: h.Composites()},
		{Method: "GET", Pattern: "/api/v1/composite-events/{id}", Scopes: read, Summary: "Get one composite event.", Handler: h.Composite()},
	}
}

// Stop implements component.Component: queries run on request goroutines
// only, which the HTTP server drains.
func (h *Handler) Stop(context.Context) {}
