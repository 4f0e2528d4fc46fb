package server

import (
	"context"
	"net/http"
	"time"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

const (
	// healStopTimeout bounds how long the components of a generation whose
	// connection is gone get to stop: nothing they do can reach storage
	// any more (unfinished webhook attempts are redelivered, streams
	// resume from their cursors), and requests wait meanwhile.
	healStopTimeout = time.Second
	// healMaxWait is the longest pause between two attempts to rebuild:
	// the gateway is ready within two seconds of storage answering again.
	healMaxWait = time.Second
	// healAttemptTimeout bounds one attempt (dialing, waiting for
	// JetStream, opening the log and building the components).
	healAttemptTimeout = time.Minute
)

// heal replaces the current generation whenever NATS closes its connection
// for good (store.Backbone.Lost): a protocol error, or an external server
// that refused the connection for good. Disconnects that NATS repairs by
// itself (a restarted external server) keep the connection and need
// nothing here. It returns when ctx ends, having closed whatever it built.
func (s *Server) heal(ctx context.Context) {
	for {
		g := s.gen.Load()
		select {
		case <-ctx.Done():
			return
		case <-g.backbone.Lost():
		}
		began := time.Now()
		s.log.Error("storage connection lost for good; rebuilding the gateway's storage components on a new connection (open streams close, clients resume from their cursors)",
			"err", g.backbone.LostErr(), "generation", g.n)
		// Requests now get a 503 until the new generation serves.
		s.gen.Store(nil)
		sctx, cancel := context.WithTimeout(context.Background(), healStopTimeout)
		g.stop(sctx)
		cancel()
		ng := s.rebuild(ctx, g.backbone, g.n+1)
		if ng == nil {
			return // shutting down
		}
		s.gen.Store(ng)
		s.metrics.StorageReconnects.WithLabelValues("rebuilt").Inc()
		s.log.Warn("storage connection re-established; serving again", "generation", ng.n, "took", time.Since(began).Round(time.Millisecond))
	}
}

// rebuild dials a new connection where bb was connected and opens a
// generation on it, retrying until it succeeds or ctx ends (then it closes
// bb, which stops the embedded server, and returns nil).
func (s *Server) rebuild(ctx context.Context, bb *store.Backbone, n int) *generation {
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, healAttemptTimeout)
		g, err := s.openOn(actx, bb, n)
		cancel()
		if err == nil {
			return g
		}
		if g != nil { // the new connection is kept for the next attempt
			bb = g.backbone
		}
		if ctx.Err() != nil {
			bb.Close()
			return nil
		}
		if attempt == 1 || attempt%10 == 0 {
			s.log.Warn("storage not reachable yet; retrying", "attempt", attempt, "err", err)
		}
		select {
		case <-ctx.Done():
			bb.Close()
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, healMaxWait)
	}
}

// openOn replaces bb by a new connection to the same place and builds a
// generation on it. On error it returns a generation holding only the new
// backbone when the connection succeeded (it owns the embedded server now),
// else nil.
func (s *Server) openOn(ctx context.Context, bb *store.Backbone, n int) (*generation, error) {
	nb, err := bb.Reopen(ctx)
	if err != nil {
		return nil, err
	}
	bb.Close() // its connection only: nb owns the embedded server now
	g, err := s.openGeneration(ctx, nb, n, false)
	if err != nil {
		return &generation{backbone: nb}, err
	}
	return g, nil
}

// serveCurrent hands each request to the current generation, or answers
// while there is none (a rebuild is under way): health and metrics as
// always, everything else 503 with the contract's JSON error.
func (s *Server) serveCurrent() http.Handler {
	between := http.NewServeMux()
	between.HandleFunc("GET /healthz", s.healthz)
	between.HandleFunc("GET /readyz", s.readyz)
	between.Handle("GET /metrics", s.metricsHandler())
	between.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		httpapi.WriteError(w, httpapi.Errorf(http.StatusServiceUnavailable, proto.CodeUnavailable,
			"Storage is reconnecting; retry in a moment."))
	})
	idle := httpapi.AccessLog(s.log, between)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g := s.gen.Load(); g != nil {
			g.handler.ServeHTTP(w, r)
			return
		}
		idle.ServeHTTP(w, r)
	})
}
