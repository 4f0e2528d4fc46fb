package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/ingest"
	"github.com/evtctl/evtctl/internal/query"
	"github.com/evtctl/evtctl/internal/store"
)

// A generation is everything built on one NATS connection: the event log,
// the keys, the components (keys, ingest, query, then the Builder's) and
// the HTTP handler serving them. JetStream objects (KV watchers, consumers,
// the stream handle) live on the connection that made them, so when NATS
// closes a connection for good the whole generation is replaced by a new
// one (heal.go); the listener, the metrics and the embedded NATS server
// stay.
type generation struct {
	n        int // 1 for the generation Start built, then 2, 3, …
	backbone *store.Backbone
	events   *store.Log
	keys     *auth.Keys
	// components in construction order: their routes are served, and
	// they are stopped in reverse order.
	components []component.Component
	// registry holds the metrics that the generation's components register
	// (a fresh set of components registers its collectors again); /metrics
	// gathers it with the server's own registry.
	registry *prometheus.Registry
	handler  http.Handler
}

// openGeneration builds a generation on bb. bootstrap says whether to
// create the first admin key when none exists (the first generation only).
// On error, what was opened is closed again, except bb.
func (s *Server) openGeneration(ctx context.Context, bb *store.Backbone, n int, bootstrap bool) (_ *generation, err error) {
	g := &generation{n: n, backbone: bb, registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			g.stop(context.Background())
		}
	}()
	g.events, err = store.OpenLog(ctx, bb.JS, store.LogOptions{
		Replicas:    s.cfg.Storage.Replicas,
		MaxAge:      s.cfg.Storage.MaxAge,
		MaxBytes:    s.cfg.Storage.MaxBytes,
		DedupWindow: s.cfg.Storage.DedupWindow,
		EdgeSources: s.cfg.Storage.EdgeSources,
		// Nobody else can reach an embedded server without a listener,
		// and a log copying no edge has no other writer.
		SoleWriter: bb.Embedded() && bb.ClientURL() == "" && len(s.cfg.Storage.EdgeSources) == 0,
		IndexDir:   bb.IndexDir(),
		Preload:    bb.JournalPreload(),
		Logger:     s.log,
	})
	if err != nil {
		return nil, err
	}
	g.keys, err = auth.OpenKeys(ctx, bb.JS, s.cfg.Storage.Replicas, s.cfg.Server.AdminToken)
	if err != nil {
		return nil, err
	}
	g.keys.UseJWT(s.jwt)
	if bootstrap {
		if key, created, err := g.keys.Bootstrap(ctx); err != nil {
			return nil, fmt.Errorf("create bootstrap admin key: %w", err)
		} else if created {
			s.Bootstrap = &key
		}
	}
	g.registry.MustRegister(newLogCollector(g.events))

	// Components share the server's counters (they continue across
	// generations) but register their own collectors in the generation's
	// registry.
	m := *s.metrics
	m.Registry = g.registry
	h := Handles{
		Config: s.cfg,
		Env:    component.Env{Logger: s.log, Metrics: &m, JS: bb.JS, Server: s.cfg.Server, Storage: s.cfg.Storage, CORS: s.cors},
		Log:    g.events,
		Keys:   g.keys,
	}
	g.components = []component.Component{
		ingest.New(g.events, s.cfg.Server.MaxBodyBytes, s.metrics, s.fullState()),
		query.New(g.events),
		auth.NewAPI(g.keys, s.cfg.Server.MaxBodyBytes, s.cfg.Limits.KeysPerTenant),
	}
	built, err := s.build(ctx, h)
	if err != nil {
		return nil, err
	}
	g.components = append(g.components, built...)
	if g.handler, err = s.router(g); err != nil {
		return nil, err
	}
	return g, nil
}

// stopComponents stops the components in reverse order; their streams
// close.
func (g *generation) stopComponents(ctx context.Context) {
	component.Stop(ctx, g.components)
	g.components = nil
}

// stop stops the components and closes the log and the keys; the backbone
// is closed by whoever owns it.
func (g *generation) stop(ctx context.Context) {
	g.stopComponents(ctx)
	if g.events != nil {
		g.events.Close()
	}
	if g.keys != nil {
		g.keys.Close()
	}
}
