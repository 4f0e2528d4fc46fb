package hub

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// closeGrace bounds how long a closing session may take to write its final
// frame (a WebSocket close frame) to a client that may not be reading.
const closeGrace = time.Second

// Limits bound one session's send queue and writes.
type Limits struct {
	QueueMessages int
	QueueBytes    int64
	WriteTimeout  time.Duration
}

// Session is one client connection of any kind of stream. Frames are
// queued by the hub (never blocking it) and written by a writer goroutine
// that exists only while there is something to write, so an idle session
// costs no goroutine on the write side. All frames queued while a write is
// in progress go out together in the next writev.
//
// Ordering: frames are written in the order they were queued. Data frames
// carry the log sequence; a frame whose sequence is not above the last one
// queued is a duplicate (catch-up/live overlap) and is dropped.
//
// Goroutines: the writer, and those the stream package starts with Go (the
// catch-up reader; a reader of the client where no poller watches the
// socket), are counted by the hub, whose Shutdown waits for them.
type Session struct {
	hub  *Hub
	conn net.Conn
	raw  syscall.RawConn // of a plain socket, for direct writes (direct.go)
	sub  Subscription

	// The fields are ordered to leave no padding: an idle session is
	// most of what an idle connection costs
	// (docs/performance.md#idle-memory-without-a-reader-goroutine).
	mu         sync.Mutex
	queue      [][]byte
	spare      [][]byte
	queueBytes int64
	inflight   int64 // bytes of the batch being written
	held       int64 // queueBytes+inflight as last added to hub.queued
	reason     string
	lastSeq    uint64
	queuedSeq  uint64 // of the last data frame queued (not dropped)
	// extra is what only some sessions need, made on first use: nil for
	// an idle session that caught up on nothing.
	extra *sessionExtra
	// done is made by the first Done, or closed already (closedChan) when
	// that comes after the session ended.
	done chan struct{}

	lastWrite atomic.Int64 // unix ns of the last frame queued
	// written is the sequence of the last data frame written to the
	// connection in full (with every frame queued before it).
	written  atomic.Uint64
	lastData atomic.Int64 // unix ns of the last data frame queued
	onDone   func()
	// beforeClose runs when the session ends, before its connection is
	// closed (OnEnd); guarded by mu.
	beforeClose func()
	finished    sync.Once

	// Guarded by mu.
	writing bool
	// headRest: the first queued frame is the rest of one a direct write
	// sent in part (direct.go); a Close keeps it before the final frame.
	headRest bool
	closing  bool
	catching bool // catching up: live frames wait in extra.pending
	ended    bool // finished: Go starts nothing more, done is (to be) closed
}

// sessionExtra holds what a session needs only while it catches up or
// runs goroutines of its own; guarded by the session's mu.
type sessionExtra struct {
	pending []pendingFrame     // live frames that arrived during the catch-up
	drained chan struct{}      // signalled after each write, for catch-up pacing
	ctx     context.Context    // of the goroutines started with Go
	cancel  context.CancelFunc // of ctx, called when the session ends
}

// extraLocked returns the session's extra, made if need be; s.mu is held.
func (s *Session) extraLocked() *sessionExtra {
	if s.extra == nil {
		s.extra = &sessionExtra{}
	}
	return s.extra
}

// closedChan is the Done of a session asked for it only once it ended.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

type pendingFrame struct {
	seq   uint64
	frame []byte
}

// RawConn is the session's socket when it is a plain one (not TLS, not
// a wrapper), for reading it without a goroutine; nil otherwise.
func (s *Session) RawConn() syscall.RawConn { return s.raw }

// Subscription returns what the session receives.
func (s *Session) Subscription() Subscription { return s.sub }

// Done is closed when the session has ended and its connection is closed.
func (s *Session) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = make(chan struct{})
	}
	return s.done
}

// Ended reports whether the session has ended (Done is closed or about to
// be), without making Done's channel.
func (s *Session) Ended() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// Reason is why the session ended (valid after Done).
func (s *Session) Reason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}

// Written is the log sequence of the last data frame the session wrote
// to its connection in full, every frame queued before it included (0:
// none yet). Frames of a write that failed or was cut short by Close are
// not counted, though some may have reached the client: a client resuming
// from Written gets every event it may have missed, and at most one write's
// worth again.
func (s *Session) Written() uint64 { return s.written.Load() }

// Send queues a data frame with its log sequence. It never blocks: a client
// whose queue is full is disconnected as a slow consumer.
func (s *Session) Send(seq uint64, frame []byte) { s.send(seq, frame, true) }

// send is Send; direct allows a direct write (direct.go).
func (s *Session) send(seq uint64, frame []byte, direct bool) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	if s.catching {
		x := s.extraLocked()
		if len(x.pending) >= s.hub.opts.Limits.QueueMessages {
			s.mu.Unlock()
			s.overflow()
			return
		}
		x.pending = append(x.pending, pendingFrame{seq, frame})
		s.mu.Unlock()
		return
	}
	if seq != 0 {
		if seq <= s.lastSeq {
			s.mu.Unlock()
			return
		}
		s.lastSeq = seq
	}
	if direct && s.raw != nil && !s.writing && len(s.queue) == 0 {
		if n := s.tryWrite(frame); n == len(frame) {
			if seq != 0 {
				s.queuedSeq = seq
				if seq > s.written.Load() {
					s.written.Store(seq) // no writer runs to store it
				}
			}
			s.mu.Unlock()
			now := time.Now().UnixNano()
			s.lastWrite.Store(now)
			s.lastData.Store(now)
			return
		} else if n > 0 {
			frame = frame[n:] // the writer sends the rest first
			s.headRest = true
		}
	}
	ok := s.enqueueLocked(frame)
	if ok && seq != 0 {
		s.queuedSeq = seq
	}
	s.mu.Unlock()
	if !ok {
		s.overflow()
		return
	}
	now := time.Now().UnixNano()
	s.lastData.Store(now)
}

// SendControl queues a frame that is not an event (keep-alive, pong).
func (s *Session) SendControl(frame []byte) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	ok := s.enqueueLocked(frame)
	s.mu.Unlock()
	if !ok {
		s.overflow()
	}
}

// enqueueLocked appends a frame and makes sure a writer runs. It reports
// false when the queue limits would be exceeded.
func (s *Session) enqueueLocked(frame []byte) bool {
	if l := &s.hub.opts.Limits; len(s.queue) >= l.QueueMessages || s.queueBytes+int64(len(frame)) > l.QueueBytes {
		return false
	}
	s.queue = append(s.queue, frame)
	s.queueBytes += int64(len(frame))
	s.accountLocked()
	s.lastWrite.Store(time.Now().UnixNano())
	if !s.writing {
		s.startWriter()
	}
	return true
}

// startWriter starts the writer goroutine; s.mu is held. The writer is
// not counted by the hub on its own: the session's count covers it, as a
// writer does nothing after it finished the session (finish releases the
// count last) or handed the session back (writing unset).
func (s *Session) startWriter() {
	s.writing = true
	go s.writeLoop()
}

func (s *Session) overflow() {
	s.hub.metrics.QueueOverflows.WithLabelValues(s.sub.Kind.Name).Inc()
	s.Close(ReasonSlowConsumer)
}

// CatchUp queues a frame of the history the client missed (a session
// registered with catchUp set), waiting (not dropping) while the queue is
// more than half full: history is read at the client's pace. It returns
// false once the session is closing.
func (s *Session) CatchUp(seq uint64, frame []byte) bool {
	l := &s.hub.opts.Limits
	for {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			return false
		}
		if len(s.queue) < l.QueueMessages/2 && s.queueBytes+int64(len(frame)) <= l.QueueBytes/2 {
			if seq > s.lastSeq {
				s.lastSeq = seq
				if s.enqueueLocked(frame) {
					s.queuedSeq = seq
				}
				s.lastData.Store(time.Now().UnixNano())
			}
			s.mu.Unlock()
			return true
		}
		x := s.extraLocked()
		if x.drained == nil {
			x.drained = make(chan struct{}, 1)
		}
		drained := x.drained
		s.mu.Unlock()
		select {
		case <-drained:
		case <-s.Done():
			return false
		case <-time.After(l.WriteTimeout):
			// The writer is stuck on this client; it will time out and
			// close the session, which ends the loop above.
		}
	}
}

// StartAfter makes seq the session's starting point: no event at or
// before it is sent, from the catch-up or live. It is called before
// EndCatchUp, so that live frames held meanwhile that the client's
// starting point excludes are dropped too.
func (s *Session) StartAfter(seq uint64) {
	s.mu.Lock()
	s.lastSeq = max(s.lastSeq, seq)
	s.mu.Unlock()
}

// EndCatchUp releases the live frames that arrived during the catch-up,
// minus those the catch-up already sent.
func (s *Session) EndCatchUp() {
	s.mu.Lock()
	s.catching = false
	var pending []pendingFrame
	if s.extra != nil {
		pending, s.extra.pending = s.extra.pending, nil
	}
	ok := true
	for _, p := range pending {
		if p.seq <= s.lastSeq {
			continue
		}
		s.lastSeq = p.seq
		if ok = s.enqueueLocked(p.frame); !ok {
			break
		}
		s.queuedSeq = p.seq
	}
	s.mu.Unlock()
	if !ok {
		s.overflow()
	}
}

// Close ends the session for reason. The backlog is dropped and a write in
// progress is cut short; the kind's final frame (a WebSocket close frame)
// is then still attempted, after the rest of the frame the cut write was
// in the middle of, for up to closeGrace. Close never blocks.
func (s *Session) Close(reason string) {
	s.closeWith(reason, s.sub.Kind.final(reason))
}

// CloseWithFrame ends the session after writing frame (e.g. the echo of a
// client's WebSocket close frame).
func (s *Session) CloseWithFrame(reason string, frame []byte) {
	s.closeWith(reason, frame)
}

// aLongTimeAgo is a write deadline in the past: it makes a write in
// progress return at once with what it wrote so far.
var aLongTimeAgo = time.Unix(1, 0)

func (s *Session) closeWith(reason string, final []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.closing = true
	s.reason = reason
	var rest []byte
	if s.headRest && len(s.queue) > 0 {
		rest = s.queue[0] // the client must get the rest of that frame first
	}
	clear(s.queue)
	s.queue = s.queue[:0]
	s.queueBytes = 0
	if s.extra != nil {
		s.extra.pending = nil
	}
	if rest != nil && final != nil {
		s.queue = append(s.queue, rest)
		s.queueBytes = int64(len(rest))
	}
	if final != nil {
		s.queue = append(s.queue, final)
		s.queueBytes += int64(len(final))
	}
	s.accountLocked()
	if s.writing {
		// Cut the write in progress short: a slow consumer's writer is
		// stuck on a full socket, and what it was writing belongs to the
		// dropped backlog anyway. Done under mu, so it cannot land after
		// the writer, which reads closing under mu, set the final frame's
		// deadline. TLS cannot write again after a write timed out, so
		// there the write in progress gets closeGrace to finish instead.
		if _, isTLS := s.conn.(*tls.Conn); isTLS {
			_ = s.conn.SetWriteDeadline(time.Now().Add(closeGrace))
		} else {
			_ = s.conn.SetWriteDeadline(aLongTimeAgo)
		}
		return
	}
	s.startWriter()
}

func (s *Session) writeLoop() {
	var lens []int // of the frames of the current batch, reused
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.writing = false
			closing := s.closing
			s.mu.Unlock()
			if closing {
				s.finish()
			}
			return
		}
		if s.closing {
			// Close replaced the backlog with the final frame.
			final := s.takeQueueLocked()
			s.mu.Unlock()
			s.writeFinal(nil, final)
			s.endWriter()
			return
		}
		batch := s.queue
		batchSeq := s.queuedSeq // the batch holds every frame queued so far
		s.queue, s.spare = s.spare[:0], nil
		s.inflight, s.queueBytes = s.queueBytes, 0
		// The batch may open with the rest of a frame a direct write sent
		// in part: if none of it goes out, that rest still must, before
		// a final frame.
		headRest := s.headRest
		s.headRest = false
		s.mu.Unlock()

		_ = s.conn.SetWriteDeadline(time.Now().Add(s.hub.opts.Limits.WriteTimeout))
		// A Close from here on cuts the write below short (it moves the
		// deadline after this one); a Close that came earlier is seen now.
		s.mu.Lock()
		cut := s.closing
		s.mu.Unlock()
		lens = lens[:0]
		for _, f := range batch {
			lens = append(lens, len(f))
		}
		bufs := net.Buffers(batch)
		var n int64
		var err error
		if cut {
			err = os.ErrDeadlineExceeded // nothing written
		} else {
			n, err = bufs.WriteTo(s.conn)
		}
		var rest []byte
		if err != nil {
			rest = unfinished(lens, n, bufs)
			if n == 0 && headRest {
				rest = batch[0]
			}
		}
		clear(batch)

		s.mu.Lock()
		if s.spare == nil {
			s.spare = batch[:0]
		}
		s.inflight = 0
		s.accountLocked()
		if err == nil {
			var drained chan struct{}
			if s.extra != nil {
				drained = s.extra.drained
			}
			s.mu.Unlock()
			if batchSeq > s.written.Load() {
				s.written.Store(batchSeq) // only this goroutine stores
			}
			select {
			case drained <- struct{}{}: // a nil channel: nobody catching up
			default:
			}
			continue
		}
		// A write that timed out (or was cut short by Close) leaves a
		// socket that may still take the final frame once the client
		// reads; any other error leaves none.
		timedOut := errors.Is(err, os.ErrDeadlineExceeded)
		if !s.closing {
			s.closing = true
			s.reason = ReasonWriteError
			clear(s.queue)
			s.queue = s.queue[:0]
			if timedOut {
				s.reason = ReasonWriteTimeout
				if f := s.sub.Kind.final(ReasonWriteTimeout); f != nil {
					s.queue = append(s.queue, f)
				}
			}
		}
		final := s.takeQueueLocked()
		s.mu.Unlock()
		if timedOut {
			s.writeFinal(rest, final)
		}
		s.endWriter()
		return
	}
}

// takeQueueLocked empties the queue and returns what it held.
func (s *Session) takeQueueLocked() [][]byte {
	q := s.queue
	s.queue, s.queueBytes = nil, 0
	s.accountLocked()
	return q
}

// accountLocked brings the hub's node-wide count of queued bytes up to
// date with this session's queue and write in progress; s.mu is held.
func (s *Session) accountLocked() {
	if now := s.queueBytes + s.inflight; now != s.held {
		s.hub.queued.Add(now - s.held)
		s.held = now
	}
}

// queuedBytes is what the session holds toward the node's bound.
func (s *Session) queuedBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// unfinished returns the unwritten rest of the frame a write stopped in the
// middle of, or nil when it stopped between two frames. lens are the
// lengths of the frames given to the write, n what it wrote, rem what
// net.Buffers.WriteTo left unwritten (its first element is the rest of a
// frame it wrote in part).
func unfinished(lens []int, n int64, rem net.Buffers) []byte {
	for _, l := range lens {
		if n < int64(l) {
			if n == 0 || len(rem) == 0 {
				return nil
			}
			return rem[0]
		}
		n -= int64(l)
	}
	return nil
}

// writeFinal writes the final frame of a closing session for up to
// closeGrace, preceded by rest, the end of a frame cut in the middle, so
// that the client can parse up to the final frame. A session with no final
// frame (SSE) writes nothing: a client drops an unfinished SSE event.
func (s *Session) writeFinal(rest []byte, final [][]byte) {
	if len(final) == 0 {
		return
	}
	bufs := make(net.Buffers, 0, 1+len(final))
	if len(rest) > 0 {
		bufs = append(bufs, rest)
	}
	bufs = append(bufs, final...)
	_ = s.conn.SetWriteDeadline(time.Now().Add(closeGrace))
	_, _ = bufs.WriteTo(s.conn)
}

// endWriter ends the writer of a closing session and the session.
func (s *Session) endWriter() {
	s.mu.Lock()
	s.writing = false
	s.mu.Unlock()
	s.finish()
}

// finish closes the connection and unregisters the session, once. Its
// caller returns right after it (the writer), so releasing the session's
// count is its last act.
func (s *Session) finish() {
	s.finished.Do(func() {
		s.mu.Lock()
		s.queueBytes, s.inflight = 0, 0
		s.accountLocked()
		s.mu.Unlock()
		// Unregistered before Done is closed, so that whoever waits for
		// Done finds the hub without it.
		s.hub.remove(s)
		s.end()
		s.hub.release()
	})
}

// end marks the session ended, cancels the context of its goroutines,
// runs beforeClose, closes the connection and runs onDone.
func (s *Session) end() {
	s.mu.Lock()
	s.ended = true
	var cancel context.CancelFunc
	if s.extra != nil {
		cancel = s.extra.cancel
	}
	before := s.beforeClose
	s.beforeClose = nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if before != nil {
		before()
	}
	_ = s.conn.Close()
	s.mu.Lock()
	done := s.done
	if done == nil {
		s.done = closedChan
	}
	s.mu.Unlock()
	if done != nil {
		close(done)
	}
	if s.onDone != nil {
		s.onDone()
	}
}

// refuse ends a session the hub would not register (it is shutting down):
// the kind's final frame for ReasonShutdown, if any, is written at once.
func (s *Session) refuse() {
	s.mu.Lock()
	s.closing, s.reason = true, ReasonShutdown
	s.mu.Unlock()
	if f := s.sub.Kind.final(ReasonShutdown); f != nil {
		s.writeFinal(nil, [][]byte{f})
	}
	s.finished.Do(s.end)
}

// OnEnd sets f to run once the session ends, before its connection is
// closed: a poller watching the socket stops watching it while its
// descriptor is still the connection's. It reports false, without keeping
// f, when the session has already ended (its connection is closed).
func (s *Session) OnEnd(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false
	}
	s.beforeClose = f
	return true
}

// Go runs f on a goroutine of the session, which the hub's Shutdown waits
// for; ctx is cancelled when the session ends. It reports false, without
// running f, when the session has already ended.
func (s *Session) Go(f func(ctx context.Context)) bool {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	x := s.extraLocked()
	if x.ctx == nil {
		x.ctx, x.cancel = context.WithCancel(context.Background())
	}
	ctx := x.ctx
	s.hub.hold()
	s.mu.Unlock()
	go func() {
		defer s.hub.release()
		f(ctx)
	}()
	return true
}
