// Package server assembles the gateway: storage, and the components of
// internal/component built on it (keys, ingest, query, and those a Builder
// makes: endpoints, webhooks, composite rules, streams), behind one HTTP
// server with a lifecycle of New, Start, Ready and an idempotent Shutdown.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/metrics"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Builder constructs the components of one generation (generation.go)
// besides keys, ingest and query, which the server builds itself: once at
// Start, and again each time the server rebuilds its storage components on
// a new NATS connection. The components are returned in construction
// order (they are stopped in reverse); on error, the Builder stops those
// it built.
type Builder func(ctx context.Context, h Handles) ([]component.Component, error)

// Handles are what a Builder is given: the configuration, what every
// component is given, and the generation's event log and keys.
type Handles struct {
	Config *config.Config
	Env    component.Env
	Log    *store.Log
	Keys   *auth.Keys
}

// Server is one gateway node.
type Server struct {
	cfg     *config.Config
	log     *slog.Logger
	metrics *metrics.Metrics
	build   Builder
	// cors is server.cors's policy, shared by the router and the
	// WebSocket upgrades of every generation (so a refused origin is
	// logged once).
	cors *httpapi.CORS
	// jwt verifies auth.jwt tokens for every generation's keys (its JWKS
	// cache outlives generations); nil when not configured.
	jwt *auth.JWT

	// gen is what serves requests; nil while a lost connection is being
	// replaced (heal.go).
	gen atomic.Pointer[generation]

	httpSrv  *http.Server
	listener net.Listener
	ready    chan struct{}

	// Bootstrap is the admin key created on first start, if any; the caller
	// prints it once. It is never logged.
	Bootstrap *proto.APIKey

	storage storageHealth // lost data, full store (health.go)

	stopHealth   context.CancelFunc
	wg           sync.WaitGroup
	healWG       sync.WaitGroup // the heal loop, stopped first
	shutdownOnce sync.Once
	shutdownErr  error
}

// New prepares a server whose components build makes (nil: keys, ingest
// and query only); nothing is opened until Start. After losing its NATS
// connection for good, the server calls build again on a new one.
func New(cfg *config.Config, log *slog.Logger, build Builder) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if build == nil {
		build = func(context.Context, Handles) ([]component.Component, error) { return nil, nil }
	}
	return &Server{cfg: cfg, log: log, metrics: metrics.New(), build: build, ready: make(chan struct{}),
		cors: httpapi.NewCORS(cfg.Server.CORS.AllowedOrigins, log)}
}

// Start opens storage, builds the components, binds the listener and serves
// in the background. On error everything opened so far is closed again.
func (s *Server) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			s.closeAll(context.Background())
		}
	}()
	bb, err := store.Open(ctx, store.Options{
		Name:        s.cfg.Server.Name,
		DataDir:     s.cfg.Storage.DataDir,
		NATSURL:     s.cfg.Storage.NATSURL,
		NATSListen:  s.cfg.Storage.NATSListen,
		LeafListen:  s.cfg.Storage.LeafListen,
		LeafRemotes: s.cfg.Storage.LeafRemotes,
		MaxStore:    s.cfg.Storage.MaxStore,
		Logger:      s.log,
		OnReconnect: func() { s.metrics.StorageReconnects.WithLabelValues("resumed").Inc() },
	})
	if err != nil {
		return err
	}
	if s.cfg.Storage.Replicas == 0 {
		s.cfg.Storage.Replicas = bb.AutoReplicas()
		s.log.Info("storage replicas chosen automatically", "replicas", s.cfg.Storage.Replicas)
	}
	if s.jwt, err = auth.NewJWT(s.cfg.Auth.JWT, s.log); err != nil {
		bb.Close()
		return err
	}
	g, err := s.openGeneration(ctx, bb, 1, true)
	if err != nil {
		bb.Close()
		return err
	}
	s.gen.Store(g)

	s.listener, err = net.Listen("tcp", s.cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Server.Listen, err)
	}
	s.listener = &fdLimitListener{Listener: s.listener, log: s.log}
	s.httpSrv = &http.Server{
		Handler:           s.serveCurrent(),
		ReadHeaderTimeout: s.cfg.Server.ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	if s.cfg.Server.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.Server.TLSCert, s.cfg.Server.TLSKey)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		s.httpSrv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.listener = tls.NewListener(s.listener, s.httpSrv.TLSConfig)
	}

	hctx, cancel := context.WithCancel(context.Background())
	s.stopHealth = cancel
	if len(s.cfg.Storage.EdgeSources) > 0 {
		s.wg.Go(func() { s.watchEdgeSources(hctx) })
	}
	s.wg.Go(func() {
		if err := s.httpSrv.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("HTTP server stopped", "err", err)
		}
	})
	s.wg.Go(func() { s.watchHealth(hctx) })
	s.wg.Go(func() { s.watchStorage(hctx) })
	s.healWG.Go(func() { s.heal(hctx) })
	close(s.ready)
	s.log.Info("evtctl serving", "addr", s.Addr(), "storage", s.storageDesc())
	return nil
}

func (s *Server) storageDesc() string {
	if g := s.gen.Load(); g != nil && g.backbone.Embedded() {
		return "embedded NATS JetStream in " + s.cfg.Storage.DataDir
	}
	return "external NATS JetStream"
}

// Ready is closed once the server accepts requests.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the bound listen address (useful with port 0).
func (s *Server) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// URL is the base URL of the server.
func (s *Server) URL() string {
	scheme := "http"
	if s.cfg.Server.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + s.Addr()
}

// Metrics returns the server's metrics.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Log returns the event log of the current generation (tests and
// in-process tools), nil while a rebuild is under way.
func (s *Server) Log() *store.Log {
	if g := s.gen.Load(); g != nil {
		return g.events
	}
	return nil
}

// Keys returns the key store of the current generation.
func (s *Server) Keys() *auth.Keys {
	if g := s.gen.Load(); g != nil {
		return g.keys
	}
	return nil
}

// Backbone returns the current NATS connection.
func (s *Server) Backbone() *store.Backbone {
	if g := s.gen.Load(); g != nil {
		return g.backbone
	}
	return nil
}

// Generation counts the storage stacks built: 1 after Start, one more for
// each rebuild after a lost connection (0 while a rebuild is under way).
func (s *Server) Generation() int {
	if g := s.gen.Load(); g != nil {
		return g.n
	}
	return 0
}

// Shutdown stops accepting connections, lets in-flight requests (ingests)
// finish, stops the components (closing streams cleanly), then closes
// storage. It is idempotent and safe to call before Start.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.closeAll(ctx) })
	return s.shutdownErr
}

func (s *Server) closeAll(ctx context.Context) error {
	// No rebuild may start or finish while the generation is torn down.
	if s.stopHealth != nil {
		s.stopHealth()
	}
	s.healWG.Wait()
	g := s.gen.Load()
	var err error
	if s.httpSrv != nil {
		// Components close their streams (hijacked WebSockets and
		// long-lived SSE responses are not drained by http.Server).
		done := make(chan error, 1)
		go func() { done <- s.httpSrv.Shutdown(ctx) }()
		if g != nil {
			g.stopComponents(ctx)
		}
		if err = <-done; err != nil {
			_ = s.httpSrv.Close()
		}
	}
	s.wg.Wait()
	if g != nil {
		g.stop(ctx)
		g.backbone.Close()
	}
	s.jwt.Close()
	return err
}

func (s *Server) watchHealth(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		up := 0.0
		if g := s.gen.Load(); g != nil && g.backbone.Healthy(ctx) == nil {
			up = 1
		}
		s.metrics.JetStreamUp.Set(up)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	g := s.gen.Load()
	if g == nil {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusServiceUnavailable, proto.CodeUnavailable, "Storage is not available: the connection to NATS is being re-established."))
		return
	}
	if err := g.backbone.Healthy(r.Context()); err != nil {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusServiceUnavailable, proto.CodeUnavailable, "Storage is not available: %v.", err))
		return
	}
	// Lost data or a full store: still 200 (the node serves what it has;
	// out of rotation it would restore nothing), but said (health.go).
	if p := s.storageProblems(); p != nil {
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"status": "degraded", "storage": p})
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// metricsHandler serves the server's metrics and those the current
// generation's components registered.
func (s *Server) metricsHandler() http.Handler {
	gather := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		gs := prometheus.Gatherers{s.metrics.Registry}
		if g := s.gen.Load(); g != nil {
			gs = append(gs, g.registry)
		}
		return gs.Gather()
	})
	return promhttp.HandlerFor(gather, promhttp.HandlerOpts{Registry: s.metrics.Registry})
}

// fdLimitListener keeps accepting after running out of file descriptors:
// net/http already retries temporary errors with backoff, but says nothing
// useful; this logs a clear, rate-limited warning instead of crashing or
// spinning.
type fdLimitListener struct {
	net.Listener
	log      *slog.Logger
	mu       sync.Mutex
	lastWarn time.Time
}

func (l *fdLimitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil && (errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)) {
		l.mu.Lock()
		if time.Since(l.lastWarn) > 5*time.Second {
			l.lastWarn = time.Now()
			l.log.Error("out of file descriptors: refusing new connections until some close (raise `ulimit -n` or lower limits.max_connections)", "err", err)
		}
		l.mu.Unlock()
	}
	return c, err
}
