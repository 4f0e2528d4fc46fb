package hub

import (
	"errors"
	"syscall"
	"time"
)

// A frame queued on an idle session (no writer running, nothing queued) is
// first tried as one non-blocking write on the socket, from the dispatching
// goroutine: a client that keeps up has room in its socket buffer, and
// the write then costs what a plain conn.Write costs — no writer
// goroutine, no write deadline, no writev of one buffer. That is most of
// what separated the hub's fan-out from plain loopback writes. Whatever
// the socket does not take at once (a full buffer, a partial write) is
// queued as usual and left to the writer, so the hub still never waits on
// a client. Only plain sockets take this path (TLS has no non-blocking
// write).

// directLag is how long an event may have waited in the log and still be
// written directly. Direct writes are one system call per frame on the
// dispatching goroutine: the fastest way to clients that keep up, but one
// core's worth at most. A hub further behind than this is overloaded and
// leaves the frames to the writers, on both cores, each coalescing its
// backlog into one writev (measured: 5,000 subscribers at 200 events/s got
// 100,000 deliveries/s with direct writes always on, against about
// 250,000/s through the writers).
const directLag = 100 * time.Millisecond

// directConn returns the raw connection of a plain socket, or nil.
func directConn(c any) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// tryWrite writes as much of frame as the socket takes now, without
// waiting, and returns how much that was; s.mu is held, no writer runs and
// nothing is queued. A socket error is left for the writer to meet.
func (s *Session) tryWrite(frame []byte) int {
	n := 0
	err := s.raw.Write(func(fd uintptr) bool {
		for n < len(frame) {
			m, err := syscall.Write(int(fd), frame[n:])
			if m <= 0 || err != nil {
				if errors.Is(err, syscall.EINTR) {
					continue
				}
				break
			}
			n += m
		}
		return true // one attempt: never wait for the socket
	})
	if err != nil {
		return 0
	}
	return n
}
