// Package stream serves the live streams of docs/contract.md#streams: the
// composite WebSocket, the SSE analysis streams and the endpoint WebSocket
// (their origins: docs/sources.md). It follows the event log once per
// node and hands every event to the hub, which fans it out.
package stream

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/filter"
	"github.com/evtctl/evtctl/internal/hub"
	"github.com/evtctl/evtctl/internal/metrics"
	"github.com/evtctl/evtctl/internal/netpoll"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Endpoints is what the endpoint WebSocket needs from the endpoint
// resources. Implementations read an in-memory snapshot: Filters is called
// on the hub goroutine for every event and must not block.
type Endpoints interface {
	Endpoint(id string) (proto.Endpoint, bool)
	// Matcher returns the endpoint's filters, conditions compiled.
	Matcher(endpointID string) *filter.Set
	// OnChange registers fn, called with an endpoint's id whenever it is
	// created, changed or deleted on any node.
	OnChange(fn func(endpointID string))
}

// Keys is what the streams need of the API keys (auth.Keys): the endpoint
// WebSocket's optional token, a key's expiry and validity when a session
// registers, and the revocations that close its sessions.
type Keys interface {
	Authenticate(token string) (auth.Principal, error)
	Valid(p auth.Principal) bool
	ExpiresAt(id string) (time.Time, bool)
	OnRevoke(fn func(keyID string))
}

// Config is the configuration sections the streams read.
type Config struct {
	Limits config.Limits
	WS     config.WS
	SSE    config.SSE
	Redact config.Redact
}

// quotaTTL bounds how long a crashed node's SSE streams keep counting
// against their owners' limit.
const quotaTTL = 15 * time.Second

// Service is the streams component.
type Service struct {
	endpoints Endpoints

	cfg       Config
	log       *slog.Logger
	metrics   *metrics.Metrics
	events    *store.Log
	keys      Keys
	hub       *hub.Hub
	kinds     *kinds                    // of stream (kinds.go)
	transform func(store.Record) []byte // redaction of delivered payloads
	admit     *Admission
	quota     *Quota     // SSE streams per owner
	wsQuota   *Quota     // WebSocket streams per owner
	positions *Positions // of the endpoint WebSockets
	upgrader  websocket.Upgrader
	// poll reads what clients send while they are idle (clientwatch.go);
	// nil where there is none, and once Stop closed it.
	poll atomic.Pointer[netpoll.Poller]

	stopFollow func()
	// run's goroutines are the hub's and the quotas' loops, which its
	// context (cancelled by Stop once the sessions closed) ends.
	run component.Group
}

// New builds the streams component and starts it: it follows the event
// log from its end and hands every event to a new hub. keys closes the
// sessions of revoked keys; endpoints may be nil when no endpoint store is
// configured (the endpoint WebSocket then answers 404).
func New(ctx context.Context, env component.Env, cfg Config, events *store.Log, keys Keys, endpoints Endpoints) (_ *Service, err error) {
	s := &Service{endpoints: endpoints, cfg: cfg, log: env.Logger, metrics: env.Metrics, events: events, keys: keys}
	s.hub = s.newHub()
	node := env.Server.Name + "-" + auth.NewID(8)
	s.quota, err = OpenQuota(ctx, env.JS, QuotaSSE, env.Storage.Replicas, cfg.Limits.SSEPerUser, node, quotaTTL)
	if err != nil {
		return nil, err
	}
	s.wsQuota, err = OpenQuota(ctx, env.JS, QuotaWS, env.Storage.Replicas, cfg.Limits.WSPerUser, node, quotaTTL)
	if err != nil {
		return nil, err
	}
	s.positions, err = OpenPositions(ctx, env.JS, env.Storage.Replicas, env.Logger)
	if err != nil {
		return nil, err
	}
	s.admit = NewAdmission(cfg.Limits.MaxConnections, cfg.Limits.ConnectRate, cfg.Limits.ConnectBurst, s.quota, s.wsQuota)
	s.upgrader = websocket.Upgrader{
		// Small read buffers: clients send nothing but control frames. The
		// write side never uses gorilla's buffer (see wsFrame).
		ReadBufferSize:  256,
		WriteBufferPool: &sync.Pool{},
		// No Origin (CLIs), the gateway's own, or one listed in
		// server.cors.allowed_origins; others get 403 (docs/browser.md).
		CheckOrigin: env.OriginCheck(),
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, status, reason.Error())
		},
	}
	st, err := s.events.State(ctx)
	if err != nil {
		return nil, err
	}
	s.hub.SetLastSeq(st.LastSeq)
	stop, err := s.events.Follow(ctx, st.LastSeq+1, nil, s.hub.Dispatch)
	if err != nil {
		return nil, err
	}
	s.stopFollow = stop
	s.keys.OnRevoke(s.closeKey)
	if s.endpoints != nil {
		s.endpoints.OnChange(func(id string) {
			if id == "" {
				return // a filter went away; filters are read live at every event
			}
			ep, ok := s.endpoints.Endpoint(id)
			if !ok || !ep.Enabled || ep.Type != proto.EndpointWebSocket {
				s.closeEndpoint(id)
			}
			if !ok { // deleted: its position goes too
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				s.positions.Forget(ctx, id)
				cancel()
			}
		})
	}
	if poll, err := netpoll.New(); err == nil {
		s.poll.Store(poll)
	} else if !errors.Is(err, netpoll.ErrUnsupported) {
		s.log.Warn("no poller for idle stream connections: one reader goroutine each", "err", err)
	}
	s.run.Go(s.hub.Run)
	s.run.Go(s.quota.Run)
	s.run.Go(s.wsQuota.Run)
	s.run.Go(s.positions.Run)
	return s, nil
}

// Name implements component.Component.
func (s *Service) Name() string { return "streams" }

// Hub exposes the hub (tests, metrics).
func (s *Service) Hub() *hub.Hub { return s.hub }

// Stop implements component.Component: no new events, every session
// closed cleanly (WebSocket close 1001), then waits for them within ctx.
func (s *Service) Stop(ctx context.Context) {
	if s.stopFollow != nil {
		s.stopFollow()
	}
	if s.hub != nil {
		s.closeSessions(ctx)
	}
	if poll := s.poll.Swap(nil); poll != nil {
		// After the sessions, which stop their watches as they end.
		_ = poll.Close()
	}
	s.run.Stop()
}

// Routes implements component.Component.
func (s *Service) Routes() []component.Route {
	read := []string{proto.ScopeDeviceRead, proto.ScopeAnalyticsRead}
	return []component.Route{
		{Method: "GET", Pattern: "/api/v1/ws/composite-events", Scopes: []string{proto.ScopeEventsRead}, QueryToken: true,
			Summary: "WebSocket of new composite events (hello, then one JSON message per composite, empty keep-alives).", Handler: http.HandlerFunc(s.serveComposite)},
		{Method: "GET", Pattern: "/api/v1/devices/{id}/analysis/stream", Scopes: read, QueryToken: true,
			Summary: "SSE stream of one device's analysis results.", Handler: http.HandlerFunc(s.serveAnalysis)},
		{Method: "GET", Pattern: "/api/v1/devices/analysis/stream/all", Scopes: read, QueryToken: true,
			Summary: "SSE stream of the analysis results of all the caller's devices.", Handler: http.HandlerFunc(s.serveAnalysis)},
		{Method: "GET", Pattern: "/event-service/ws", Public: true,
			Summary: "WebSocket of the events passing a websocket endpoint's filters (?endpoint_id=).", Handler: http.HandlerFunc(s.serveEndpoint)},
	}
}

// ConfigOf picks the sections the streams read out of c.
func ConfigOf(c *config.Config) Config {
	return Config{Limits: c.Limits, WS: c.WS, SSE: c.SSE, Redact: c.Redact}
}
