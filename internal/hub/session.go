package hub

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
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

// Session is one client connection of any transport. Frames are queued by
// the hub (never blocking it) and written by a writer goroutine that exists
// only while there is something to write, so an idle session costs no
// goroutine on the write side. All frames queued while a write is in
// progress go out together in the next writev.
//
// Ordering: frames are written in the order they were queued. Data frames
// carry the log sequence; a frame whose sequence is not above the last one
// queued is a duplicate (replay/live overlap) and is dropped.
type Session struct {
	hub    *Hub
	conn   net.Conn
	sub    Subscription
	limits Limits

	mu         sync.Mutex
	queue      [][]byte
	spare      [][]byte
	queueBytes int64
	writing    bool
	closing    bool
	reason     string
	lastSeq    uint64
	replaying  bool
	pending    []pendingFrame
	drained    chan struct{} // signalled after each write, for replay pacing

	lastWrite atomic.Int64 // unix ns of the last frame queued
	lastData  atomic.Int64 // unix ns of the last data frame queued
	finished  sync.Once
	done      chan struct{}
	onDone    func()
}

type pendingFrame struct {
	seq   uint64
	frame []byte
}

// Subscription returns what the session receives.
func (s *Session) Subscription() Subscription { return s.sub }

// Done is closed when the session has ended and its connection is closed.
func (s *Session) Done() <-chan struct{} { return s.done }

// Reason is why the session ended (valid after Done).
func (s *Session) Reason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}

// Send queues a data frame with its log sequence. It never blocks: a client
// whose queue is full is disconnected as a slow consumer.
func (s *Session) Send(seq uint64, frame []byte) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	if s.replaying {
		if len(s.pending) >= s.limits.QueueMessages {
			s.mu.Unlock()
			s.overflow()
			return
		}
		s.pending = append(s.pending, pendingFrame{seq, frame})
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
	ok := s.enqueueLocked(frame)
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
	if len(s.queue) >= s.limits.QueueMessages || s.queueBytes+int64(len(frame)) > s.limits.QueueBytes {
		return false
	}
	s.queue = append(s.queue, frame)
	s.queueBytes += int64(len(frame))
	s.lastWrite.Store(time.Now().UnixNano())
	if !s.writing {
		s.writing = true
		go s.writeLoop()
	}
	return true
}

func (s *Session) overflow() {
	s.hub.metrics.QueueOverflows.WithLabelValues(string(s.sub.Transport)).Inc()
	s.Close(ReasonSlowConsumer)
}

// BeginReplay makes live frames wait while history is replayed.
func (s *Session) BeginReplay() {
	s.mu.Lock()
	s.replaying = true
	s.mu.Unlock()
}

// Replay queues a historical frame, waiting (not dropping) while the queue
// is more than half full: history is read at the client's pace. It returns
// false once the session is closing.
func (s *Session) Replay(seq uint64, frame []byte) bool {
	for {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			return false
		}
		if len(s.queue) < s.limits.QueueMessages/2 && s.queueBytes+int64(len(frame)) <= s.limits.QueueBytes/2 {
			if seq > s.lastSeq {
				s.lastSeq = seq
				s.enqueueLocked(frame)
				s.lastData.Store(time.Now().UnixNano())
			}
			s.mu.Unlock()
			return true
		}
		s.mu.Unlock()
		select {
		case <-s.drained:
		case <-s.done:
			return false
		case <-time.After(s.limits.WriteTimeout):
			// The writer is stuck on this client; it will time out and
			// close the session, which ends the loop above.
		}
	}
}

// EndReplay releases the live frames that arrived during replay, minus
// those the replay already sent.
func (s *Session) EndReplay() {
	s.mu.Lock()
	s.replaying = false
	pending := s.pending
	s.pending = nil
	ok := true
	for _, p := range pending {
		if p.seq <= s.lastSeq {
			continue
		}
		s.lastSeq = p.seq
		if ok = s.enqueueLocked(p.frame); !ok {
			break
		}
	}
	s.mu.Unlock()
	if !ok {
		s.overflow()
	}
}

// Close ends the session for reason. The backlog is dropped; the final
// frame of the transport (a WebSocket close frame) is still attempted for
// up to a second. Close never blocks.
func (s *Session) Close(reason string) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.closing = true
	s.reason = reason
	clear(s.queue)
	s.queue = s.queue[:0]
	s.queueBytes = 0
	s.pending = nil
	if final := s.sub.Transport.finalFrame(reason); final != nil {
		s.queue = append(s.queue, final)
	}
	start := !s.writing
	s.writing = true
	s.mu.Unlock()
	// Bound a write that may be in progress on a stalled client.
	_ = s.conn.SetWriteDeadline(time.Now().Add(closeGrace))
	if start {
		go s.writeLoop()
	}
}

// CloseWithFrame ends the session after writing frame (e.g. the echo of a
// client's WebSocket close frame).
func (s *Session) CloseWithFrame(reason string, frame []byte) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.closing = true
	s.reason = reason
	clear(s.queue)
	s.queue = append(s.queue[:0], frame)
	s.queueBytes = int64(len(frame))
	start := !s.writing
	s.writing = true
	s.mu.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(closeGrace))
	if start {
		go s.writeLoop()
	}
}

func (s *Session) writeLoop() {
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
		batch := s.queue
		s.queue, s.spare = s.spare[:0], nil
		s.queueBytes = 0
		closing := s.closing
		s.mu.Unlock()

		timeout := s.limits.WriteTimeout
		if closing {
			timeout = closeGrace
		}
		_ = s.conn.SetWriteDeadline(time.Now().Add(timeout))
		bufs := net.Buffers(batch)
		_, err := bufs.WriteTo(s.conn)
		clear(batch)

		s.mu.Lock()
		if s.spare == nil {
			s.spare = batch[:0]
		}
		if err != nil {
			if !s.closing {
				s.closing = true
				s.reason = ReasonWriteError
				if errors.Is(err, os.ErrDeadlineExceeded) {
					s.reason = ReasonWriteTimeout
				}
			}
			clear(s.queue)
			s.queue = s.queue[:0]
			s.writing = false
			s.mu.Unlock()
			s.finish()
			return
		}
		s.mu.Unlock()
		select {
		case s.drained <- struct{}{}:
		default:
		}
	}
}

// finish closes the connection and unregisters the session, once.
func (s *Session) finish() {
	s.finished.Do(func() {
		_ = s.conn.Close()
		s.hub.remove(s)
		close(s.done)
		if s.onDone != nil {
			s.onDone()
		}
	})
}
