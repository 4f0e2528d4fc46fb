package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/ingest"
	"github.com/evtctl/evtctl/internal/query"
	"github.com/evtctl/evtctl/internal/store"
)

// A generation is everything built on one NATS connection: the event log,
// the keys, ingest and query, the extensions and the HTTP handler serving
// them. JetStream objects (KV watchers, consumers, the stream handle) live
// on the connection that made them, so when NATS closes a connection for
// good the whole generation is replaced by a new one (heal.go); the
// listener, the metrics and the embedded NATS server stay.
type generation struct {
	n        int // 1 for the generation Start built, then 2, 3, …
	backbone *store.Backbone
	events   *store.Log
	keys     *auth.Keys
	ingest   *ingest.Handler
	query    *query.Handler
	exts     []Extension // all of them: their routes are served
	started  []Extension // those started, stopped in reverse order
	// registry holds the metrics that the generation's components register
	// (a fresh set of extensions registers its collectors again); /metrics
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
	})
	if err != nil {
		return nil, err
	}
	g.keys, err = auth.OpenKeys(ctx, bb.JS, s.cfg.Storage.Replicas, s.cfg.Server.AdminToken)
	if err != nil {
		return nil, err
	}
	if bootstrap {
		if key, created, err := g.keys.Bootstrap(ctx); err != nil {
			return nil, fmt.Errorf("create bootstrap admin key: %w", err)
		} else if created {
			s.Bootstrap = &key
		}
	}
	g.ingest = &ingest.Handler{Log: g.events, MaxBody: s.cfg.Server.MaxBodyBytes, Metrics: s.metrics, Full: s.fullState()}
	g.query = &query.Handler{Log: g.events}
	g.registry.MustRegister(newLogCollector(g.events))

	// Extensions share the server's counters (they continue across
	// generations) but register their own collectors in the generation's
	// registry.
	m := *s.metrics
	m.Registry = g.registry
	deps := &Deps{Config: s.cfg, Logger: s.log, Metrics: &m, Backbone: bb, Log: g.events, Keys: g.keys}
	g.exts = s.build()
	for _, ext := range g.exts {
		if err := ext.Start(ctx, deps); err != nil {
			return nil, fmt.Errorf("start %s: %w", ext.Name(), err)
		}
		g.started = append(g.started, ext)
	}
	if g.handler, err = s.router(g); err != nil {
		return nil, err
	}
	return g, nil
}

// stopExtensions stops the started extensions in reverse order; their
// streams close.
func (g *generation) stopExtensions(ctx context.Context) {
	for i := len(g.started) - 1; i >= 0; i-- {
		g.started[i].Stop(ctx)
	}
	g.started = nil
}

// stop stops the extensions and closes the log and the keys; the backbone
// is closed by whoever owns it.
func (g *generation) stop(ctx context.Context) {
	g.stopExtensions(ctx)
	if g.events != nil {
		g.events.Close()
	}
	if g.keys != nil {
		g.keys.Close()
	}
}
