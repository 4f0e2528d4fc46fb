package ingest

import (
	"context"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/metrics"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// New builds the ingest component on the generation's event log: bodies up
// to maxBody bytes, outcomes counted in m, a full store reported to full
// (may be nil).
func New(events *store.Log, maxBody int64, m *metrics.Metrics, full *store.FullState) *Handler {
	return &Handler{Log: events, MaxBody: maxBody, Metrics: m, Full: full}
}

// Name implements component.Component.
func (h *Handler) Name() string { return "ingest" }

// Routes implements component.Component.
func (h *Handler) Routes() []component.Route {
	return []component.Route{
		{Method: "POST", Pattern: "/api/v1/events/{family}", Scopes: []string{proto.ScopeEventsWrite}, Summary: "Ingest events of a family (object, array or NDJSON).", Handler: h},
	}
}

// Stop implements component.Component: ingest runs on request goroutines
// only, which the HTTP server drains.
func (h *Handler) Stop(context.Context) {}
