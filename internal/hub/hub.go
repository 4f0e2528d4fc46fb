// Package hub fans events out from the log to client sessions without ever
// waiting on a client. It knows no kind of stream: a session is registered
// under the keys of its Subscription, and one node-wide follower of the
// event log hands every record to Dispatch, which asks the Router (written
// by the stream package) which keys the record goes to and with which
// frame, and queues that frame, encoded once and shared, on every session
// registered under those keys (see Session for the write side). Adding a
// kind of stream therefore changes the stream package, not the hub.
package hub

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/evtctl/evtctl/internal/metrics"
	"github.com/evtctl/evtctl/internal/store"
)

// Reasons a session ends, used in metrics and logs. Kinds of stream may
// close sessions for reasons of their own (Close takes any string).
const (
	ReasonSlowConsumer = "slow_consumer"
	ReasonWriteTimeout = "write_timeout"
	ReasonWriteError   = "write_error"
	ReasonClientGone   = "client_closed"
	ReasonShutdown     = "shutdown"
	ReasonIdle         = "idle_timeout"
)

// Key names a set of sessions. Keys are opaque to the hub: the stream
// package computes them (for instance one per tenant of a kind of stream,
// one per API key) and gives the same ones to Register, to its Router and
// to Close.
type Key string

// Kind is what the hub needs to know of a kind of stream: the name its
// metrics carry (the transport label), how its idle sessions are kept
// alive or closed, and the frame a closing session writes last. Every
// session of a kind shares one *Kind.
type Kind struct {
	Name string
	// KeepAlive is queued on a session that wrote nothing for
	// KeepAliveEvery (0: never).
	KeepAlive      []byte
	KeepAliveEvery time.Duration
	// IdleAfter closes a session that was sent no data frame for that long
	// (ReasonIdle; 0: never).
	IdleAfter time.Duration
	// Final, when set, returns the frame a session closing for reason
	// writes last (nil for none).
	Final func(reason string) []byte
}

func (k *Kind) final(reason string) []byte {
	if k.Final == nil {
		return nil
	}
	return k.Final(reason)
}

// Subscription says which events a session receives.
type Subscription struct {
	Kind *Kind
	// Keys are the keys the session is registered under: those records are
	// routed to, and those Close ends it by (an API key's, an endpoint's).
	Keys []Key
	// Match, when set, is asked about every record routed to the session's
	// keys. It runs on the dispatch goroutine under the hub's lock and must
	// be fast and non-blocking.
	Match func(store.Record) bool
}

// Frame is one record's encoding for one kind of stream: built on first
// use, at most once, and shared read-only by every session it is queued on.
type Frame struct {
	build func() []byte
	data  []byte
}

// NewFrame returns a frame that build encodes when first needed.
func NewFrame(build func() []byte) *Frame { return &Frame{build: build} }

// Bytes returns the encoded frame.
func (f *Frame) Bytes() []byte {
	if f.build != nil {
		f.data, f.build = f.build(), nil
	}
	return f.data
}

// Router maps a record to the keys of the sessions that receive it,
// calling to once per key with the frame they get (a key with no sessions
// costs a map lookup, and its frame is not built). It runs on the dispatch
// goroutine, in log order.
type Router func(rec store.Record, to func(Key, *Frame))

// Options configure a hub.
type Options struct {
	Limits Limits
	// NodeQueueBytes bounds the bytes queued for all sessions together,
	// each frame counted once per session it waits on (or is being written
	// to), so it bounds the memory of the queues whatever the sharing; 0 is
	// no bound. Past it the sessions with the longest queues are closed as
	// slow consumers (shed.go).
	NodeQueueBytes int64
	Route          Router
	Metrics        *metrics.Metrics
}

// Hub routes events to sessions.
type Hub struct {
	opts    Options
	metrics *metrics.Metrics

	mu      sync.RWMutex
	all     map[*Session]struct{}
	byKey   map[Key]map[*Session]struct{}
	stopped bool // Shutdown began: Register refuses

	// queued is the bytes queued on every session (see
	// Options.NodeQueueBytes); sessions add and remove theirs (account).
	queued atomic.Int64

	// lastSeq is the newest log sequence dispatched (or, before the first,
	// the log's end when the hub started following it).
	lastSeq atomic.Uint64

	// running counts the sessions (whose count covers their writer) and
	// the goroutines of Session.Go, plus one for the hub until Shutdown;
	// idle is closed when it reaches zero, which happens once.
	running atomic.Int64
	idle    chan struct{}

	// fanTrace samples fan-outs for tracing (trace.go).
	fanTrace fanoutTrace
}

// New creates a hub; Run starts its keep-alive ticker.
func New(o Options) *Hub {
	h := &Hub{
		opts:    o,
		metrics: o.Metrics,
		all:     map[*Session]struct{}{},
		byKey:   map[Key]map[*Session]struct{}{},
		idle:    make(chan struct{}),
	}
	h.running.Store(1)
	return h
}

// hold counts one more session or goroutine. The caller holds a count
// already (the hub's, a live session's), so the total is not zero.
func (h *Hub) hold() { h.running.Add(1) }

// release ends what hold counted.
func (h *Hub) release() {
	if h.running.Add(-1) == 0 {
		close(h.idle)
	}
}

// Register adds a session for conn. With catchUp set, live frames are held
// from this moment until EndCatchUp, so that the history the client missed
// can be sent first with no gap and no duplicate (subscribe, then catch
// up). After Shutdown, the session is refused: its connection gets the
// kind's final frame for ReasonShutdown and is closed, and it is returned
// already ended.
//
// onDone, when not nil, runs once after the session ended (to release an
// admission slot) without costing a goroutine per connection.
func (h *Hub) Register(conn net.Conn, sub Subscription, catchUp bool, onDone func()) *Session {
	s := &Session{
		onDone:   onDone,
		hub:      h,
		conn:     conn,
		raw:      directConn(conn),
		sub:      sub,
		catching: catchUp,
	}
	now := time.Now().UnixNano()
	s.lastWrite.Store(now)
	s.lastData.Store(now)
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		s.refuse()
		return s
	}
	h.hold()
	h.all[s] = struct{}{}
	for _, k := range sub.Keys {
		set := h.byKey[k]
		if set == nil {
			set = map[*Session]struct{}{}
			h.byKey[k] = set
		}
		set[s] = struct{}{}
	}
	h.mu.Unlock()
	h.metrics.StreamConnections.WithLabelValues(sub.Kind.Name).Inc()
	h.metrics.StreamOpened.WithLabelValues(sub.Kind.Name).Inc()
	return s
}

func (h *Hub) remove(s *Session) {
	h.mu.Lock()
	if _, ok := h.all[s]; !ok {
		h.mu.Unlock()
		return
	}
	delete(h.all, s)
	for _, k := range s.sub.Keys {
		if set := h.byKey[k]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(h.byKey, k)
			}
		}
	}
	h.mu.Unlock()
	h.metrics.StreamConnections.WithLabelValues(s.sub.Kind.Name).Dec()
	h.metrics.StreamDisconnects.WithLabelValues(s.sub.Kind.Name, s.Reason()).Inc()
}

// QueuedBytes is what the sessions hold toward Options.NodeQueueBytes.
func (h *Hub) QueuedBytes() int64 { return h.queued.Load() }

// Count returns the number of open sessions.
func (h *Hub) Count() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.all)
}

// Dispatch routes one event from the log to every interested session. It
// is called from one goroutine, in log order.
func (h *Hub) Dispatch(rec store.Record) {
	h.dispatch(rec)
	if b := h.opts.NodeQueueBytes; b > 0 && h.queued.Load() > b {
		h.shed(b)
	}
}

func (h *Hub) dispatch(rec store.Record) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	// Moved while registrations wait for the lock: a session registered
	// after this dispatch sees LastSeq past its request's mark and catches
	// up on this event from the log (see LastSeq); one registered before
	// gets it below.
	h.lastSeq.Store(rec.Seq)
	h.observeLag(rec)
	if h.opts.Route == nil {
		return
	}
	span := h.fanTrace.start(rec)
	// Direct writes (direct.go) only while the hub keeps up with the log:
	// behind it, frames are left to the sessions' writers, which write
	// from both cores and coalesce a backlog into one writev each.
	direct := rec.ReceivedAt.IsZero() || time.Since(rec.ReceivedAt) < directLag
	h.opts.Route(rec, func(k Key, f *Frame) { h.sendAll(h.byKey[k], rec, f, direct) })
	span.End()
}

// sendAll queues f on the sessions of set that match rec, and counts the
// messages by kind.
func (h *Hub) sendAll(set map[*Session]struct{}, rec store.Record, f *Frame, direct bool) {
	if len(set) == 0 {
		return
	}
	var kind *Kind
	var data []byte
	n := 0
	for s := range set {
		if m := s.sub.Match; m != nil && !m(rec) {
			continue
		}
		if s.sub.Kind != kind {
			h.countMessages(kind, n)
			kind, n = s.sub.Kind, 0
			data = f.Bytes()
		}
		s.send(rec.Seq, data, direct)
		n++
	}
	h.countMessages(kind, n)
}

func (h *Hub) countMessages(k *Kind, n int) {
	if n > 0 {
		h.metrics.StreamMessages.WithLabelValues(k.Name).Add(float64(n))
	}
}

// Close ends every session registered under key for reason.
func (h *Hub) Close(key Key, reason string) {
	h.closeSet(func() map[*Session]struct{} { return h.byKey[key] }, reason)
}

// CloseAll ends every session.
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

// Shutdown refuses new sessions, ends every session (ReasonShutdown) and
// waits until each has ended and every goroutine of theirs has returned:
// the writers and those started with Session.Go. It returns ctx's error if
// ctx ends first. Later calls wait the same way.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	first := !h.stopped
	h.stopped = true
	h.mu.Unlock()
	h.CloseAll(ReasonShutdown)
	if first {
		h.release() // the hub's own count
	}
	select {
	case <-h.idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
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

// Run sends keep-alives and closes idle sessions until ctx ends. One
// ticker for all sessions costs less than a timer per session.
func (h *Hub) Run(ctx context.Context) {
	t := time.NewTicker(tickEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			h.tick(now.UnixNano())
		}
	}
}

// tickEvery is the period of Run's ticker.
const tickEvery = time.Second

// keepAliveDue reports whether a session that last wrote at lastWrite is
// due a keep-alive at tick now. A keep-alive is queued a little after the
// tick that sent it, so the tick one period later finds slightly less than
// a period elapsed: without half a tick of slack, keep-alives would come
// every period plus one tick (16 s for 15 s).
func keepAliveDue(k *Kind, now, lastWrite int64) bool {
	return k.KeepAliveEvery > 0 && now-lastWrite >= int64(k.KeepAliveEvery-tickEvery/2)
}

func (h *Hub) tick(now int64) {
	var idle []*Session
	h.mu.RLock()
	for s := range h.all {
		k := s.sub.Kind
		if k.IdleAfter > 0 && now-s.lastData.Load() >= int64(k.IdleAfter) {
			idle = append(idle, s)
			continue
		}
		if keepAliveDue(k, now, s.lastWrite.Load()) {
			s.SendControl(k.KeepAlive)
		}
	}
	h.mu.RUnlock()
	for _, s := range idle {
		s.Close(ReasonIdle)
	}
}

// LastSeq is the newest log sequence the hub has dispatched. A handler
// reads it when a request arrives: anything dispatched after that, before
// the session was registered, is caught up on from the log.
func (h *Hub) LastSeq() uint64 { return h.lastSeq.Load() }

// SetLastSeq records where the hub starts following the log.
func (h *Hub) SetLastSeq(seq uint64) { h.lastSeq.Store(seq) }
