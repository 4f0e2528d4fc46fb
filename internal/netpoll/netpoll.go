// Package netpoll watches many idle sockets for readability from one
// goroutine, so that a connection that is only waiting for its client to
// send something (a WebSocket ping or close, an SSE client hanging up)
// costs no goroutine of its own. It is an epoll set on Linux; elsewhere
// New reports ErrUnsupported and callers keep a reader goroutine per
// connection.
//
// A watched socket is armed once (one-shot): when it becomes readable, or
// its peer hangs up, the watch's callback runs on the poller's goroutine
// and the socket is not reported again until Resume. The callback must
// not block: it reads what is there with ReadNow (never waiting) and
// resumes, or hands the connection to a goroutine of its own.
//
// Sockets are named to the kernel by their descriptor only inside
// syscall.RawConn.Control, where the runtime guarantees the descriptor
// stays open; events carry the watch's own id, not the descriptor, so a
// descriptor closed and reused by another connection cannot deliver the
// old connection's event to the new one. Stop a watch before closing its
// connection.
package netpoll

import "errors"

// Handler is told when a watched socket is readable.
type Handler interface {
	// Readable runs on the poller's goroutine when the socket of w is
	// readable or its peer hung up, with a buffer it may use until it
	// returns. It must not block; it reads with ReadNow, and calls
	// w.Resume to be told again.
	Readable(w *Watch, scratch []byte)
}

// ErrUnsupported is returned by New where there is no poller (not Linux).
var ErrUnsupported = errors.ErrUnsupported

// ErrClosed is returned by Add on a closed poller.
var ErrClosed = errors.New("netpoll: poller closed")

// ErrWouldBlock is what ReadNow returns when there is nothing to read yet.
var ErrWouldBlock = errors.New("netpoll: nothing to read yet")
