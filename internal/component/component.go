// Package component is the contract between the server and the parts of
// the gateway it serves (keys, ingest, query, endpoints, webhooks,
// composite rules, streams): a Component is built complete by its
// constructor for one generation of the server's storage, contributes
// Routes, and is stopped by Stop. Each constructor takes an Env (what
// every component is given), its own configuration section and the other
// components it uses, through small interfaces its package declares.
package component

import (
	"context"
	"log/slog"
	"net/http"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/metrics"
)

// Component is one part of the gateway, running from its constructor's
// return until Stop. Stop makes every goroutine of the component return
// (see Group) and releases what the constructor opened; it waits for work
// in flight until ctx ends.
type Component interface {
	Name() string
	Routes() []Route
	Stop(ctx context.Context)
}

// Route is one HTTP route of the gateway. The table is the single list of
// what the server serves: the router is built from it. The OpenAPI document
// (internal/openapi/openapi.json) is written by hand; its tests compare it
// with this table, route by route and scope by scope.
type Route struct {
	Method  string
	Pattern string // net/http pattern path, e.g. /api/v1/keys/{id}
	// Scopes the caller needs (any of); nil with Public unset means any
	// authenticated key.
	Scopes []string
	// Public routes need no token (health, metrics, the endpoint WebSocket
	// which authenticates by endpoint_id).
	Public bool
	// QueryToken lets browsers pass ?access_token= (stream routes only).
	QueryToken bool
	Summary    string
	Handler    http.Handler
}

// Env is what every component of a generation is given: the gateway-wide
// settings, the logger, the metrics and the generation's JetStream
// connection. A component's own configuration section and the components
// it uses are further parameters of its constructor.
type Env struct {
	Logger *slog.Logger
	// Metrics holds the server's counters, which go on across generations;
	// its Registry is the generation's own, for the collectors a component
	// registers (a new generation registers them again).
	Metrics *metrics.Metrics
	JS      jetstream.JetStream
	// Server and Storage are the gateway-wide sections (the node's name,
	// the body limit, replicas resolved at start, retention).
	Server  config.Server
	Storage config.Storage
	// CORS is server.cors.allowed_origins's policy (the WebSocket
	// upgrades' origin check); nil in tests that build a component alone:
	// OriginCheck then makes one from Server.
	CORS *httpapi.CORS
}

// OriginCheck is the WebSocket upgrader's CheckOrigin of env's server:
// no Origin, the gateway's own or one in server.cors.allowed_origins.
func (env Env) OriginCheck() func(*http.Request) bool {
	if env.CORS != nil {
		return env.CORS.CheckOrigin
	}
	return httpapi.NewCORS(env.Server.CORS.AllowedOrigins, env.Logger).CheckOrigin
}

// Stop stops cs in reverse order (the order of construction is the order
// of dependence).
func Stop(ctx context.Context, cs []Component) {
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i].Stop(ctx)
	}
}

// Group is the lifecycle every component follows: a stop context,
// cancelled by Stop, and the goroutines the component started, which Stop
// waits for. The zero value is ready to use.
type Group struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (g *Group) init() {
	g.once.Do(func() { g.ctx, g.cancel = context.WithCancel(context.Background()) })
}

// Context is cancelled when the component stops.
func (g *Group) Context() context.Context {
	g.init()
	return g.ctx
}

// Go runs fn on a goroutine tracked by g, with the stop context.
func (g *Group) Go(fn func(ctx context.Context)) {
	g.init()
	g.wg.Go(func() { fn(g.ctx) })
}

// Cancel cancels the stop context without waiting.
func (g *Group) Cancel() {
	g.init()
	g.cancel()
}

// Wait waits for the goroutines started by Go.
func (g *Group) Wait() { g.wg.Wait() }

// Stop cancels the stop context and waits for the goroutines.
func (g *Group) Stop() {
	g.Cancel()
	g.Wait()
}
