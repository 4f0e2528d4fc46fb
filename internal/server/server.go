// Package server assembles the gateway: storage, authentication, ingest,
// query and the components registered as extensions (streams, composite
// rules, endpoints and webhooks), behind one HTTP server with a lifecycle
// of New, Start, Ready and an idempotent Shutdown.
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
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/ingest"
	"github.com/evtctl/evtctl/internal/metrics"
	"github.com/evtctl/evtctl/internal/query"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Extension is a component that plugs into the server: it is started after
// storage is open, contributes routes, and is stopped before storage closes.
// Stop must make every goroutine of the component return.
type Extension interface {
	Name() string
	Start(ctx context.Context, deps *Deps) error
	Routes() []Route
	Stop(ctx context.Context)
}

// Deps is what the server hands to extensions.
type Deps struct {
	Config   *config.Config
	Logger   *slog.Logger
	Metrics  *metrics.Metrics
	Backbone *store.Backbone
	Log      *store.Log
	Keys     *auth.Keys
}

// Server is one gateway node.
type Server struct {
	cfg        *config.Config
	log        *slog.Logger
	metrics    *metrics.Metrics
	extensions []Extension

	backbone *store.Backbone
	events   *store.Log
	keys     *auth.Keys
	ingest   *ingest.Handler
	query    *query.Handler

	httpSrv  *http.Server
	listener net.Listener
	ready    chan struct{}
	started  []Extension

	// Bootstrap is the admin key created on first start, if any; the caller
	// prints it once. It is never logged.
	Bootstrap *proto.APIKey

	storage storageHealth // lost data, full store (health.go)

	stopHealth   context.CancelFunc
	wg           sync.WaitGroup
	shutdownOnce sync.Once
	shutdownErr  error
}

// New prepares a server; nothing is opened until Start.
func New(cfg *config.Config, log *slog.Logger, exts ...Extension) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: log, metrics: metrics.New(), extensions: exts, ready: make(chan struct{})}
}

// Start opens storage, starts the extensions, binds the listener and serves
// in the background. On error everything opened so far is closed again.
func (s *Server) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			s.closeAll(context.Background())
		}
	}()
	s.backbone, err = store.Open(ctx, store.Options{
		Name:        s.cfg.Server.Name,
		DataDir:     s.cfg.Storage.DataDir,
		NATSURL:     s.cfg.Storage.NATSURL,
		NATSListen:  s.cfg.Storage.NATSListen,
		LeafListen:  s.cfg.Storage.LeafListen,
		LeafRemotes: s.cfg.Storage.LeafRemotes,
		MaxStore:    s.cfg.Storage.MaxStore,
		Logger:      s.log,
	})
	if err != nil {
		return err
	}
	if s.cfg.Storage.Replicas == 0 {
		s.cfg.Storage.Replicas = s.backbone.AutoReplicas()
		s.log.Info("storage replicas chosen automatically", "replicas", s.cfg.Storage.Replicas)
	}
	s.events, err = store.OpenLog(ctx, s.backbone.JS, store.LogOptions{
		Replicas:    s.cfg.Storage.Replicas,
		MaxAge:      s.cfg.Storage.MaxAge,
		MaxBytes:    s.cfg.Storage.MaxBytes,
		DedupWindow: s.cfg.Storage.DedupWindow,
		EdgeSources: s.cfg.Storage.EdgeSources,
		// Nobody else can reach an embedded server without a listener,
		// and a log copying no edge has no other writer.
		SoleWriter: s.backbone.Embedded() && s.backbone.ClientURL() == "" && len(s.cfg.Storage.EdgeSources) == 0,
	})
	if err != nil {
		return err
	}
	s.keys, err = auth.OpenKeys(ctx, s.backbone.JS, s.cfg.Storage.Replicas, s.cfg.Server.AdminToken)
	if err != nil {
		return err
	}
	if key, created, err := s.keys.Bootstrap(ctx); err != nil {
		return fmt.Errorf("create bootstrap admin key: %w", err)
	} else if created {
		s.Bootstrap = &key
	}
	s.ingest = &ingest.Handler{Log: s.events, MaxBody: s.cfg.Server.MaxBodyBytes, Metrics: s.metrics, Full: s.fullState()}
	s.query = &query.Handler{Log: s.events}
	s.metrics.Registry.MustRegister(newLogCollector(s.events))

	deps := &Deps{Config: s.cfg, Logger: s.log, Metrics: s.metrics, Backbone: s.backbone, Log: s.events, Keys: s.keys}
	for _, ext := range s.extensions {
		if err := ext.Start(ctx, deps); err != nil {
			return fmt.Errorf("start %s: %w", ext.Name(), err)
		}
		s.started = append(s.started, ext)
	}

	handler, err := s.router()
	if err != nil {
		return err
	}
	s.listener, err = net.Listen("tcp", s.cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Server.Listen, err)
	}
	s.listener = &fdLimitListener{Listener: s.listener, log: s.log}
	s.httpSrv = &http.Server{
		Handler:           handler,
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
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.httpSrv.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("HTTP server stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.watchHealth(hctx)
	}()
	s.wg.Go(func() { s.watchStorage(hctx) })
	close(s.ready)
	s.log.Info("evtctl serving", "addr", s.Addr(), "storage", s.storageDesc())
	return nil
}

func (s *Server) storageDesc() string {
	if s.backbone.Embedded() {
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

// Log returns the event log (tests and in-process tools).
func (s *Server) Log() *store.Log { return s.events }

// Keys returns the key store.
func (s *Server) Keys() *auth.Keys { return s.keys }

// Backbone returns the NATS connection.
func (s *Server) Backbone() *store.Backbone { return s.backbone }

// Shutdown stops accepting connections, lets in-flight requests (ingests)
// finish, stops the extensions (closing streams cleanly), then closes
// storage. It is idempotent and safe to call before Start.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.closeAll(ctx) })
	return s.shutdownErr
}

func (s *Server) closeAll(ctx context.Context) error {
	var err error
	if s.httpSrv != nil {
		// Extensions close their streams (hijacked WebSockets and
		// long-lived SSE responses are not drained by http.Server).
		done := make(chan error, 1)
		go func() { done <- s.httpSrv.Shutdown(ctx) }()
		for i := len(s.started) - 1; i >= 0; i-- {
			s.started[i].Stop(ctx)
		}
		s.started = nil
		if err = <-done; err != nil {
			_ = s.httpSrv.Close()
		}
	}
	// Start may have failed before the HTTP server existed.
	for i := len(s.started) - 1; i >= 0; i-- {
		s.started[i].Stop(ctx)
	}
	s.started = nil
	if s.stopHealth != nil {
		s.stopHealth()
	}
	s.wg.Wait()
	if s.events != nil {
		s.events.Close()
	}
	if s.keys != nil {
		s.keys.Close()
	}
	if s.backbone != nil {
		s.backbone.Close()
	}
	return err
}

func (s *Server) watchHealth(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		up := 0.0
		if s.backbone.Healthy(ctx) == nil {
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
	if err := s.backbone.Healthy(r.Context()); err != nil {
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

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{Registry: s.metrics.Registry})
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
