package stream

import (
	"context"
	"errors"
	"net"

	"github.com/evtctl/evtctl/internal/hub"
	"github.com/evtctl/evtctl/internal/netpoll"
)

// What a stream's client sends is read without a goroutine per connection
// while the client is idle: the service's poller (internal/netpoll)
// watches every plain socket and runs the stream's read handling when one
// becomes readable, on the poller's goroutine, reading only what is there.
// An idle connection then costs its session and socket, not a reader's
// stack (docs/performance.md#idle-memory-without-a-reader-goroutine).
// Where there is no poller (not Linux) or the connection is not a plain
// socket (TLS, or bytes the client sent with its handshake that a
// wrapper holds), a reader goroutine of the session does the same with
// blocking reads.

// readsPerWake bounds how many reads one readiness event gets on the
// poller's goroutine, so that a client sending a lot does not hold up the
// others; what is left is reported again at once (level-triggered).
const readsPerWake = 16

// clientReader handles what a client sends; the kinds of reader embed
// the watch, so that an idle connection costs one object here.
type clientReader interface {
	netpoll.Handler
	// watch is the reader's watch by the poller.
	watch() *netpoll.Watch
	// pending is what the last feed left to keep (the start of a frame
	// that did not arrive whole), to put before the next bytes read.
	pending() []byte
	// feed handles bytes read, after pending; it reports false once the
	// connection reads no more (the session is closing).
	feed(b []byte) bool
}

// watchClient has what the client of sess sends handled by in: read by
// the poller, or else by a reader goroutine. EOF or a read error closes the
// session as gone.
func (s *Service) watchClient(conn net.Conn, sess *hub.Session, in clientReader) {
	if poll := s.poll.Load(); poll != nil {
		if rc := sess.RawConn(); rc != nil {
			w := in.watch()
			if err := poll.Add(w, rc, in); err == nil {
				if !sess.OnEnd(w.Stop) {
					w.Stop() // ended meanwhile: its connection is closed
				}
				return
			}
		}
	}
	sess.Go(func(context.Context) { readLoop(conn, sess, in) })
}

// readable runs on the poller's goroutine when the client's socket is
// readable: it reads what is there, never waiting, and arms the watch
// again unless the session is done reading.
func readable(w *netpoll.Watch, scratch []byte, sess *hub.Session, in clientReader) {
	for range readsPerWake {
		k := copy(scratch, in.pending())
		n, err := netpoll.ReadNow(w.RawConn(), scratch[k:])
		if errors.Is(err, netpoll.ErrWouldBlock) {
			break
		}
		if err != nil {
			sess.Close(hub.ReasonClientGone)
			return
		}
		if !in.feed(scratch[:k+n]) {
			return
		}
	}
	if err := w.Resume(); err != nil {
		// The connection is closed (the session ended) or the poller
		// stopped: either way nobody reads this client any more.
		sess.Close(hub.ReasonClientGone)
	}
}

// readLoop is readable on a goroutine of its own, with blocking reads,
// until the connection ends.
func readLoop(conn net.Conn, sess *hub.Session, in clientReader) {
	buf := make([]byte, 512) // more than any partial frame
	for {
		k := copy(buf, in.pending())
		n, err := conn.Read(buf[k:])
		if n > 0 && !in.feed(buf[:k+n]) {
			return
		}
		if err != nil {
			sess.Close(hub.ReasonClientGone)
			return
		}
	}
}

// sseIn reads the client of an SSE stream, which should send nothing:
// what it sends is dropped; only its leaving counts.
type sseIn struct {
	w    netpoll.Watch
	sess *hub.Session
}

func (r *sseIn) Readable(w *netpoll.Watch, scratch []byte) { readable(w, scratch, r.sess, r) }
func (r *sseIn) watch() *netpoll.Watch                     { return &r.w }
func (r *sseIn) pending() []byte                           { return nil }
func (r *sseIn) feed([]byte) bool                          { return true }
