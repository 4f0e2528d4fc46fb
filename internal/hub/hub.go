// Package hub fans events out from the log to client sessions without ever
// waiting on a client. One node-wide follower of the event log feeds the
// hub; the hub looks up the interested sessions through indexes by tenant,
// device, endpoint and key, and queues one shared pre-encoded frame per
// event on each of them (see Session for the write side).
package hub

import (
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evtctl/evtctl/internal/metrics"
	"github.com/evtctl/evtctl/internal/store"
)

// Reasons a session ends, used in metrics and logs.
const (
	ReasonSlowConsumer    = "slow_consumer"
	ReasonWriteTimeout    = "write_timeout"
	ReasonWriteError      = "write_error"
	ReasonClientGone      = "client_closed"
	ReasonShutdown        = "shutdown"
	ReasonKeyRevoked      = "key_revoked"
	ReasonKeyExpired      = "key_expired"
	ReasonEndpointRemoved = "endpoint_removed"
	ReasonIdle            = "idle_timeout"
)

// Transport names a kind of stream; it is the metrics label.
type Transport string

// The stream kinds of CONTRACT §4.
const (
	WSComposite Transport = "ws_composite"
	SSEAnalysis Transport = "sse_analysis"
	WSEndpoint  Transport = "ws_endpoint"
)

// IsWebSocket reports whether the transport speaks WebSocket.
func (t Transport) IsWebSocket() bool { return t != SSEAnalysis }

// finalFrame is what a session of this transport says when closing.
func (t Transport) finalFrame(reason string) []byte {
	if !t.IsWebSocket() {
		return nil
	}
	switch reason {
	case ReasonSlowConsumer, ReasonWriteTimeout:
		// A write that timed out is a slow consumer too: its kernel
		// buffers filled before its queue did.
		return WSClose(4008, "slow consumer: resume with ?after=")
	case ReasonShutdown:
		return WSClose(1001, "server shutting down")
	case ReasonKeyRevoked:
		return WSClose(1008, "API key revoked")
	case ReasonKeyExpired:
		return WSClose(1008, "API key expired")
	case ReasonEndpointRemoved:
		return WSClose(1008, "endpoint deleted or disabled")
	case ReasonIdle:
		return WSClose(1000, "idle")
	}
	return nil
}

// Subscription says which events a session receives.
type Subscription struct {
	Transport Transport
	// Owner is the tenant; AllTenants (admin keys) widens to every tenant.
	Owner      string
	AllTenants bool
	KeyID      string
	// DeviceID narrows an SSE analysis stream to one device.
	DeviceID string
	// EndpointID and Match select events for an endpoint WebSocket; Match
	// is called on the hub goroutine and must be fast and non-blocking.
	EndpointID string
	Match      func(store.Record) bool
}

// Options configure a hub.
type Options struct {
	Limits       Limits
	WSKeepalive  time.Duration
	SSEHeartbeat time.Duration
	SSEIdle      time.Duration
	// Transform, when set, rewrites an event's payload once before it is
	// framed (redaction). It must not modify its input.
	Transform func(store.Record) []byte
	Metrics   *metrics.Metrics
}

// Hub routes events to sessions.
type Hub struct {
	opts    Options
	metrics *metrics.Metrics

	mu          sync.RWMutex
	all         map[*Session]struct{}
	composite   map[string]map[*Session]struct{} // owner ("" = all tenants) →
	analysisDev map[string]map[*Session]struct{} // owner\x00device →
	analysisAll map[string]map[*Session]struct{} // owner ("" = all tenants) →
	endpoints   map[string]map[*Session]struct{} // endpoint id →
	byOwnerEP   map[string]map[*Session]struct{} // owner → endpoint sessions
	byKey       map[string]map[*Session]struct{} // key id →

	// lastSeq is the newest log sequence dispatched (or, before the first,
	// the log's end when the hub started following it).
	lastSeq atomic.Uint64
}

// New creates a hub; Run starts its keep-alive ticker.
func New(o Options) *Hub {
	return &Hub{
		opts:        o,
		metrics:     o.Metrics,
		all:         map[*Session]struct{}{},
		composite:   map[string]map[*Session]struct{}{},
		analysisDev: map[string]map[*Session]struct{}{},
		analysisAll: map[string]map[*Session]struct{}{},
		endpoints:   map[string]map[*Session]struct{}{},
		byOwnerEP:   map[string]map[*Session]struct{}{},
		byKey:       map[string]map[*Session]struct{}{},
	}
}

func add(m map[string]map[*Session]struct{}, k string, s *Session) {
	set := m[k]
	if set == nil {
		set = map[*Session]struct{}{}
		m[k] = set
	}
	set[s] = struct{}{}
}

func del(m map[string]map[*Session]struct{}, k string, s *Session) {
	if set := m[k]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

func tenantKey(sub Subscription) string {
	if sub.AllTenants {
		return ""
	}
	return sub.Owner
}

// Register adds a session for conn. With replay set, live frames are held
// from this moment until EndReplay, so that history can be replayed first
// with no gap and no duplicate (subscribe before replay).
//
// onDone, when not nil, runs once after the session ended (to release an
// admission slot) without costing a goroutine per connection.
func (h *Hub) Register(conn net.Conn, sub Subscription, replay bool, onDone func()) *Session {
	s := &Session{
		onDone:    onDone,
		hub:       h,
		conn:      conn,
		sub:       sub,
		limits:    h.opts.Limits,
		drained:   make(chan struct{}, 1),
		done:      make(chan struct{}),
		replaying: replay,
	}
	now := time.Now().UnixNano()
	s.lastWrite.Store(now)
	s.lastData.Store(now)
	h.mu.Lock()
	h.all[s] = struct{}{}
	switch sub.Transport {
	case WSComposite:
		add(h.composite, tenantKey(sub), s)
	case SSEAnalysis:
		if sub.DeviceID != "" {
			add(h.analysisDev, sub.Owner+"\x00"+sub.DeviceID, s)
		} else {
			add(h.analysisAll, tenantKey(sub), s)
		}
	case WSEndpoint:
		add(h.endpoints, sub.EndpointID, s)
		add(h.byOwnerEP, sub.Owner, s)
	}
	if sub.KeyID != "" {
		add(h.byKey, sub.KeyID, s)
	}
	h.mu.Unlock()
	h.metrics.StreamConnections.WithLabelValues(string(sub.Transport)).Inc()
	h.metrics.StreamOpened.WithLabelValues(string(sub.Transport)).Inc()
	return s
}

func (h *Hub) remove(s *Session) {
	sub := s.sub
	h.mu.Lock()
	if _, ok := h.all[s]; !ok {
		h.mu.Unlock()
		return
	}
	delete(h.all, s)
	switch sub.Transport {
	case WSComposite:
		del(h.composite, tenantKey(sub), s)
	case SSEAnalysis:
		if sub.DeviceID != "" {
			del(h.analysisDev, sub.Owner+"\x00"+sub.DeviceID, s)
		} else {
			del(h.analysisAll, tenantKey(sub), s)
		}
	case WSEndpoint:
		del(h.endpoints, sub.EndpointID, s)
		del(h.byOwnerEP, sub.Owner, s)
	}
	if sub.KeyID != "" {
		del(h.byKey, sub.KeyID, s)
	}
	h.mu.Unlock()
	h.metrics.StreamConnections.WithLabelValues(string(sub.Transport)).Dec()
	h.metrics.StreamDisconnects.WithLabelValues(string(sub.Transport), s.Reason()).Inc()
}

// Count returns the number of open sessions.
func (h *Hub) Count() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.all)
}

// Dispatch routes one event from the log to every interested session. It
// is called from one goroutine, in log order.
func (h *Hub) Dispatch(rec store.Record) {
	data := h.Payload(rec)
	var text, sseFrame []byte // encoded lazily, once
	wsText := func() []byte {
		if text == nil {
			text = WSText(data)
		}
		return text
	}
	owner := rec.Address.Owner
	h.mu.RLock()
	defer h.mu.RUnlock()
	// Moved while registrations wait for the lock: a session registered
	// after this dispatch sees LastSeq past its request's mark and replays
	// this event from the log (see LastSeq); one registered before gets it
	// below.
	h.lastSeq.Store(rec.Seq)
	switch rec.Address.Family {
	case "composite":
		h.sendAll(h.composite[owner], rec.Seq, wsText)
		h.sendAll(h.composite[""], rec.Seq, wsText)
	case "analysis":
		enc := func() []byte {
			if sseFrame == nil {
				sseFrame = SSEEvent("analysis_result", strconv.FormatUint(rec.Seq, 10), data)
			}
			return sseFrame
		}
		h.sendAll(h.analysisDev[owner+"\x00"+rec.Address.DeviceID], rec.Seq, enc)
		h.sendAll(h.analysisAll[owner], rec.Seq, enc)
		h.sendAll(h.analysisAll[""], rec.Seq, enc)
	}
	for s := range h.byOwnerEP[owner] {
		if s.sub.Match == nil || s.sub.Match(rec) {
			s.Send(rec.Seq, wsText())
			h.metrics.StreamMessages.WithLabelValues(string(WSEndpoint)).Inc()
		}
	}
}

func (h *Hub) sendAll(set map[*Session]struct{}, seq uint64, frame func() []byte) {
	if len(set) == 0 {
		return
	}
	f := frame()
	var t Transport
	for s := range set {
		s.Send(seq, f)
		t = s.sub.Transport
	}
	h.metrics.StreamMessages.WithLabelValues(string(t)).Add(float64(len(set)))
}

// CloseKey ends every session opened with key id.
func (h *Hub) CloseKey(keyID string) {
	h.closeSet(func() map[*Session]struct{} { return h.byKey[keyID] }, ReasonKeyRevoked)
}

// CloseEndpoint ends every session of an endpoint.
func (h *Hub) CloseEndpoint(id string) {
	h.closeSet(func() map[*Session]struct{} { return h.endpoints[id] }, ReasonEndpointRemoved)
}

// CloseAll ends every session (shutdown).
func (h *Hub) CloseAll(reason string) {
	h.closeSet(func() map[*Session]struct{} { return h.all }, reason)
}

func (h *Hub) closeSet(get func() map[*Session]struct{}, reason string) {
	h.mu.RLock()
	set := get()
	list := make([]*Session, 0, len(set))
	for s := range set {
		list = append(list, s)
	}
	h.mu.RUnlock()
	for _, s := range list {
		s.Close(reason)
	}
}

// Sessions returns a snapshot of the sessions matching pred.
func (h *Hub) Sessions(pred func(*Session) bool) []*Session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []*Session
	for s := range h.all {
		if pred(s) {
			out = append(out, s)
		}
	}
	return out
}

// Run sends keep-alives and closes idle SSE streams until ctx ends. One
// ticker for all sessions costs less than a timer per session.
func (h *Hub) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	wsKeep := WSKeepAliveFrame()
	sseBeat := SSEComment("keep-alive")
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			h.tick(now.UnixNano(), wsKeep, sseBeat)
		}
	}
}

func (h *Hub) tick(now int64, wsKeep, sseBeat []byte) {
	var idle []*Session
	h.mu.RLock()
	for s := range h.all {
		lw := s.lastWrite.Load()
		if s.sub.Transport.IsWebSocket() {
			if h.opts.WSKeepalive > 0 && now-lw >= int64(h.opts.WSKeepalive) {
				s.SendControl(wsKeep)
			}
			continue
		}
		if h.opts.SSEIdle > 0 && now-s.lastData.Load() >= int64(h.opts.SSEIdle) {
			idle = append(idle, s)
			continue
		}
		if h.opts.SSEHeartbeat > 0 && now-lw >= int64(h.opts.SSEHeartbeat) {
			s.SendControl(sseBeat)
		}
	}
	h.mu.RUnlock()
	for _, s := range idle {
		s.Close(ReasonIdle)
	}
}

// WSKeepAliveFrame is document 000's keep-alive: an empty text message.
func WSKeepAliveFrame() []byte { return wsKeepAlive }

// LastSeq is the newest log sequence the hub has dispatched. A handler
// reads it when a request arrives: anything dispatched after that, before
// the session was registered, is replayed from the log.
func (h *Hub) LastSeq() uint64 { return h.lastSeq.Load() }

// SetLastSeq records where the hub starts following the log.
func (h *Hub) SetLastSeq(seq uint64) { h.lastSeq.Store(seq) }

// Payload is the event's payload as delivered (after Transform).
func (h *Hub) Payload(rec store.Record) []byte {
	if h.opts.Transform != nil {
		return h.opts.Transform(rec)
	}
	return rec.Data
}

// AnalysisFrame is the SSE frame of an analysis event.
func (h *Hub) AnalysisFrame(rec store.Record) []byte {
	return SSEEvent("analysis_result", strconv.FormatUint(rec.Seq, 10), h.Payload(rec))
}

// TextFrame is the WebSocket text frame of an event.
func (h *Hub) TextFrame(rec store.Record) []byte { return WSText(h.Payload(rec)) }
