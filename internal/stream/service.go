// Package stream serves the live streams of CONTRACT §4: the composite
// WebSocket (document 000), the SSE analysis streams (document 001) and the
// endpoint WebSocket (document 002). It follows the event log once per
// node and hands every event to the hub, which fans it out.
package stream

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/hub"
	"github.com/evtctl/evtctl/internal/metrics"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Endpoints is what the endpoint WebSocket needs from the endpoint
// resources. Implementations read an in-memory snapshot: Filters is called
// on the hub goroutine for every event and must not block.
type Endpoints interface {
	Endpoint(id string) (proto.Endpoint, bool)
	Filters(endpointID string) []proto.EventFilter
	// OnChange registers fn, called with an endpoint's id whenever it is
	// created, changed or deleted on any node.
	OnChange(fn func(endpointID string))
}

// quotaTTL bounds how long a crashed node's SSE streams keep counting
// against their owners' limit.
const quotaTTL = 15 * time.Second

// Service is the streams extension of the server.
type Service struct {
	endpoints Endpoints

	cfg      *config.Config
	log      *slog.Logger
	metrics  *metrics.Metrics
	events   *store.Log
	keys     *auth.Keys
	hub      *hub.Hub
	admit    *Admission
	quota    *Quota // SSE streams per owner
	wsQuota  *Quota // WebSocket streams per owner
	upgrader websocket.Upgrader

	stopFollow func()
	stopTick   context.CancelFunc
	wg         sync.WaitGroup
}

// New creates the streams extension. endpoints may be nil when no endpoint
// store is configured (the endpoint WebSocket then answers 404).
func New(endpoints Endpoints) *Service { return &Service{endpoints: endpoints} }

// Name implements server.Extension.
func (s *Service) Name() string { return "streams" }

// Hub exposes the hub (tests, metrics).
func (s *Service) Hub() *hub.Hub { return s.hub }

// Start implements server.Extension.
func (s *Service) Start(ctx context.Context, d *server.Deps) (err error) {
	s.cfg, s.log, s.metrics, s.events, s.keys = d.Config, d.Logger, d.Metrics, d.Log, d.Keys
	s.hub = hub.New(hub.Options{
		Limits: hub.Limits{
			QueueMessages: d.Config.Limits.QueueMessages,
			QueueBytes:    d.Config.Limits.QueueBytes,
			WriteTimeout:  d.Config.WS.WriteTimeout,
		},
		WSKeepalive:  d.Config.WS.Keepalive,
		SSEHeartbeat: d.Config.SSE.Heartbeat,
		SSEIdle:      d.Config.SSE.IdleTimeout,
		Transform:    redactor(d.Config.Redact.Fields),
		Metrics:      d.Metrics,
	})
	node := d.Config.Server.Name + "-" + auth.NewID(8)
	s.quota, err = OpenQuota(ctx, d.Backbone.JS, QuotaSSE, d.Config.Storage.Replicas, d.Config.Limits.SSEPerUser, node, quotaTTL)
	if err != nil {
		return err
	}
	s.wsQuota, err = OpenQuota(ctx, d.Backbone.JS, QuotaWS, d.Config.Storage.Replicas, d.Config.Limits.WSPerUser, node, quotaTTL)
	if err != nil {
		return err
	}
	s.admit = NewAdmission(d.Config.Limits.MaxConnections, d.Config.Limits.ConnectRate, d.Config.Limits.ConnectBurst, s.quota, s.wsQuota)
	s.upgrader = websocket.Upgrader{
		// Small read buffers: clients send nothing but control frames. The
		// write side never uses gorilla's buffer (see hub.wsFrame).
		ReadBufferSize:  256,
		WriteBufferPool: &sync.Pool{},
		// Streams authenticate with tokens, not cookies, so a page from
		// another origin gains nothing a script with the token lacks.
		CheckOrigin: func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, status, reason.Error())
		},
	}
	st, err := s.events.State(ctx)
	if err != nil {
		return err
	}
	s.hub.SetLastSeq(st.LastSeq)
	stop, err := s.events.Follow(ctx, st.LastSeq+1, nil, s.hub.Dispatch)
	if err != nil {
		return err
	}
	s.stopFollow = stop
	s.keys.OnRevoke(s.hub.CloseKey)
	if s.endpoints != nil {
		s.endpoints.OnChange(func(id string) {
			if id == "" {
				return // a filter went away; filters are read live at every event
			}
			if ep, ok := s.endpoints.Endpoint(id); !ok || !ep.Enabled || ep.Type != proto.EndpointWebSocket {
				s.hub.CloseEndpoint(id)
			}
		})
	}
	tctx, cancel := context.WithCancel(context.Background())
	s.stopTick = cancel
	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		s.hub.Run(tctx)
	}()
	go func() {
		defer s.wg.Done()
		s.quota.Run(tctx)
	}()
	go func() {
		defer s.wg.Done()
		s.wsQuota.Run(tctx)
	}()
	return nil
}

// Stop implements server.Extension: no new events, every session closed
// cleanly (WebSocket close 1001), then waits for them within ctx.
func (s *Service) Stop(ctx context.Context) {
	if s.stopFollow != nil {
		s.stopFollow()
	}
	if s.hub != nil {
		sessions := s.hub.Sessions(func(*hub.Session) bool { return true })
		s.hub.CloseAll(hub.ReasonShutdown)
		for _, ss := range sessions {
			select {
			case <-ss.Done():
			case <-ctx.Done():
			}
		}
	}
	if s.stopTick != nil {
		s.stopTick()
	}
	s.wg.Wait()
}

// Routes implements server.Extension.
func (s *Service) Routes() []server.Route {
	read := []string{proto.ScopeDeviceRead, proto.ScopeAnalyticsRead}
	return []server.Route{
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

// start registers a session with its live frames held, queues its opening
// frames (so they are first on the wire), and then releases the live
// frames after replaying what the client would otherwise miss: the history
// after its cursor when it resumes, or else whatever the hub dispatched
// between the request's arrival (mark) and the registration.
func (s *Service) start(conn net.Conn, sub hub.Subscription, opening [][]byte, resume bool, after, mark uint64, filters []string, keep func(store.Record) bool, frame func(store.Record) []byte, release func()) *hub.Session {
	expires, hasExpiry := time.Time{}, false
	if sub.KeyID != "" {
		expires, hasExpiry = s.keys.ExpiresAt(sub.KeyID)
	}
	var expiry atomic.Pointer[time.Timer]
	if hasExpiry {
		inner := release
		release = func() {
			if t := expiry.Load(); t != nil {
				t.Stop()
			}
			if inner != nil {
				inner()
			}
		}
	}
	sess := s.hub.Register(conn, sub, true, release)
	if sub.KeyID != "" {
		s.watchKey(sess, sub.KeyID, expires, hasExpiry, &expiry)
	}
	for _, f := range opening {
		sess.SendControl(f)
	}
	if !resume {
		if s.hub.LastSeq() == mark {
			sess.EndReplay()
			return sess
		}
		after = mark
	}
	go s.replay(sess, filters, after, keep, frame)
	return sess
}

// watchKey closes a session when its key expires (a timer per session of
// an expiring key: no goroutine, and no later than the timer fires), and
// at once when the key expired or was revoked between the request's
// authentication and the session's registration, which the revocation
// listener (hub.CloseKey) and the timer would otherwise both miss.
func (s *Service) watchKey(sess *hub.Session, keyID string, expires time.Time, hasExpiry bool, timer *atomic.Pointer[time.Timer]) {
	if !s.keys.Valid(auth.Principal{KeyID: keyID}) {
		reason := hub.ReasonKeyRevoked
		if hasExpiry && !time.Now().Before(expires) {
			reason = hub.ReasonKeyExpired
		}
		sess.Close(reason)
		return
	}
	if !hasExpiry {
		return
	}
	t := time.AfterFunc(time.Until(expires), func() { sess.Close(hub.ReasonKeyExpired) })
	timer.Store(t)
	select {
	case <-sess.Done(): // ended before the timer was stored: release missed it
		t.Stop()
	default:
	}
}

// replay sends the history after cursor to a session registered in replay
// mode, then releases its live frames. It runs on its own goroutine.
func (s *Service) replay(sess *hub.Session, filters []string, after uint64, keep func(store.Record) bool, frame func(store.Record) []byte) {
	err := s.events.Read(context.Background(), store.ReadOptions{Filters: filters, StartSeq: after + 1}, func(rec store.Record) bool {
		if keep != nil && !keep(rec) {
			return true
		}
		return sess.Replay(rec.Seq, frame(rec))
	})
	if err != nil {
		s.log.Warn("stream replay failed", "err", err)
		sess.Close(hub.ReasonWriteError)
		return
	}
	sess.EndReplay()
}

// readLoop waits for the client to go away. It runs on a fresh goroutine
// so the handler goroutine, whose stack grew while parsing the request, can
// exit: an idle connection then holds only this small stack.
func watchClosed(c net.Conn, sess *hub.Session) {
	buf := make([]byte, 64)
	for {
		_ = c.SetReadDeadline(time.Time{})
		if _, err := c.Read(buf); err != nil {
			sess.Close(hub.ReasonClientGone)
			return
		}
	}
}
