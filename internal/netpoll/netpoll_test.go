//go:build linux

package netpoll_test

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/netpoll"
	"github.com/evtctl/evtctl/internal/testkit"
)

// pair returns the two ends of a loopback TCP connection: the server's
// (to watch) and the client's.
func pair(t *testing.T, ln net.Listener) (server *net.TCPConn, client net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return s.(*net.TCPConn), c
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func newPoller(t *testing.T) *netpoll.Poller {
	t.Helper()
	p, err := netpoll.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func raw(t *testing.T, c *net.TCPConn) syscall.RawConn {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

type event struct {
	data []byte
	err  error
}

// handlerFunc is a netpoll.Handler.
type handlerFunc func(*netpoll.Watch, []byte)

func (f handlerFunc) Readable(w *netpoll.Watch, scratch []byte) { f(w, scratch) }

// recorder is a handler that reads what is there and reports it; it does
// not resume.
func recorder(ch chan<- event) netpoll.Handler {
	return handlerFunc(func(w *netpoll.Watch, scratch []byte) {
		n, err := netpoll.ReadNow(w.RawConn(), scratch)
		ch <- event{append([]byte(nil), scratch[:n]...), err}
	})
}

// add watches c with h.
func add(p *netpoll.Poller, rc syscall.RawConn, h netpoll.Handler) (*netpoll.Watch, error) {
	w := new(netpoll.Watch)
	return w, p.Add(w, rc, h)
}

func next(t *testing.T, ch <-chan event) event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no callback")
		return event{}
	}
}

// none checks that no callback comes within a short while (a callback
// that should not come usually comes at once; this cannot prove it never
// would, but it fails when it does).
func none(t *testing.T, ch <-chan event, why string) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("callback %s: %q %v", why, e.data, e.err)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestReadableRunsCallbackOnceUntilResume(t *testing.T) {
	p := newPoller(t)
	s, c := pair(t, listen(t))
	ch := make(chan event, 10)
	w, err := add(p, raw(t, s), recorder(ch))
	if err != nil {
		t.Fatal(err)
	}
	none(t, ch, "before anything was sent")
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if e := next(t, ch); string(e.data) != "ping" || e.err != nil {
		t.Fatalf("got %q %v", e.data, e.err)
	}
	// One-shot: more data is not reported before Resume...
	if _, err := c.Write([]byte("more")); err != nil {
		t.Fatal(err)
	}
	none(t, ch, "before Resume")
	// ...and is at once after it (level-triggered: data that arrived
	// while the watch was disarmed is not lost).
	if err := w.Resume(); err != nil {
		t.Fatal(err)
	}
	if e := next(t, ch); string(e.data) != "more" || e.err != nil {
		t.Fatalf("got %q %v", e.data, e.err)
	}
	// Nothing there: ReadNow does not wait.
	if n, err := netpoll.ReadNow(raw(t, s), make([]byte, 8)); n != 0 || !errors.Is(err, netpoll.ErrWouldBlock) {
		t.Fatalf("ReadNow on an empty socket: %d %v", n, err)
	}
}

func TestPeerCloseIsReported(t *testing.T) {
	p := newPoller(t)
	for _, how := range []string{"close", "half-close", "reset"} {
		t.Run(how, func(t *testing.T) {
			s, c := pair(t, listen(t))
			ch := make(chan event, 10)
			if _, err := add(p, raw(t, s), recorder(ch)); err != nil {
				t.Fatal(err)
			}
			switch how {
			case "close":
				c.Close()
			case "half-close":
				_ = c.(*net.TCPConn).CloseWrite()
			case "reset":
				_ = c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}
			e := next(t, ch)
			if e.err == nil {
				t.Fatalf("peer %s reported as data %q", how, e.data)
			}
			if how != "reset" && !errors.Is(e.err, io.EOF) {
				t.Fatalf("peer %s: %v, want EOF", how, e.err)
			}
		})
	}
}

// A stopped watch reports nothing, and a new connection that gets the
// stopped one's descriptor number gets its own events only.
func TestStopThenDescriptorReuse(t *testing.T) {
	p := newPoller(t)
	ln := listen(t)
	s1, c1 := pair(t, ln)
	old := make(chan event, 10)
	w1, err := add(p, raw(t, s1), recorder(old))
	if err != nil {
		t.Fatal(err)
	}
	fd := func(c *net.TCPConn) (n uintptr) {
		_ = raw(t, c).Control(func(fd uintptr) { n = fd })
		return n
	}
	fd1 := fd(s1)
	if _, err := c1.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	// Stop while an event is pending (reported or about to be): what
	// the kernel already queued must not reach the callback later.
	w1.Stop()
	select {
	case <-old: // the callback ran before Stop: allowed
	default:
	}
	if p.Len() != 0 {
		t.Fatalf("%d watched after Stop", p.Len())
	}
	s1.Close()
	w1.Stop() // again, after the close: harmless
	if err := w1.Resume(); err == nil {
		t.Fatal("Resume of a stopped watch succeeded")
	}
	// Dial takes the lowest free descriptor: the client end of the next
	// connection is the one that gets fd1 again.
	var s2 *net.TCPConn
	var c2 net.Conn
	for range 20 {
		srv, cli := pair(t, ln)
		if fd(cli.(*net.TCPConn)) == fd1 {
			s2, c2 = cli.(*net.TCPConn), srv
			break
		}
	}
	if s2 == nil {
		t.Fatalf("descriptor %d not reused", fd1)
	}
	cur := make(chan event, 10)
	if _, err := add(p, raw(t, s2), recorder(cur)); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Write([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if e := next(t, cur); string(e.data) != "new" {
		t.Fatalf("got %q %v", e.data, e.err)
	}
	none(t, old, "of a stopped watch")
}

// Many sockets, each ping-ponged several times through one poller
// goroutine, each callback resuming its own watch.
func TestManyConnections(t *testing.T) {
	const conns, rounds = 500, 5
	p := newPoller(t)
	ln := listen(t)
	var (
		mu     sync.Mutex
		counts = map[*netpoll.Watch]int{}
		total  atomic.Int64
	)
	clients := make([]net.Conn, conns)
	for i := range conns {
		s, c := pair(t, ln)
		clients[i] = c
		// The callback echoes what it read: a blocking write of a few
		// bytes to a socket with room.
		_, err := add(p, raw(t, s), handlerFunc(func(w *netpoll.Watch, scratch []byte) {
			n, err := netpoll.ReadNow(w.RawConn(), scratch)
			if err != nil {
				return
			}
			mu.Lock()
			counts[w]++
			mu.Unlock()
			total.Add(1)
			_, _ = s.Write(scratch[:n])
			if err := w.Resume(); err != nil {
				t.Error(err)
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
	}
	if p.Len() != conns {
		t.Fatalf("Len %d", p.Len())
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			buf := make([]byte, 1)
			for r := range rounds {
				if _, err := c.Write([]byte{byte(r)}); err != nil {
					t.Error(err)
					return
				}
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.ReadFull(c, buf); err != nil || buf[0] != byte(r) {
					t.Errorf("round %d: %v %v", r, buf, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if total.Load() != conns*rounds {
		t.Fatalf("%d callbacks, want %d", total.Load(), conns*rounds)
	}
	for w, n := range counts {
		if n != rounds {
			t.Fatalf("watch %p: %d callbacks", w, n)
		}
	}
}

func TestClose(t *testing.T) {
	p, err := netpoll.New()
	if err != nil {
		t.Fatal(err)
	}
	s, c := pair(t, listen(t))
	ch := make(chan event, 10)
	w, err := add(p, raw(t, s), recorder(ch))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := c.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	none(t, ch, "after Close")
	if err := w.Resume(); !errors.Is(err, netpoll.ErrClosed) {
		t.Fatalf("Resume after Close: %v", err)
	}
	w.Stop()
	if _, err := add(p, raw(t, s), recorder(ch)); !errors.Is(err, netpoll.ErrClosed) {
		t.Fatalf("Add after Close: %v", err)
	}
	// The socket itself is untouched.
	buf := make([]byte, 4)
	_ = s.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "late" {
		t.Fatalf("read after Close: %q %v", buf, err)
	}
}

// Add fails on a connection already closed.
func TestAddClosedConnection(t *testing.T) {
	p := newPoller(t)
	s, _ := pair(t, listen(t))
	rc := raw(t, s)
	s.Close()
	if _, err := add(p, rc, recorder(make(chan event, 1))); err == nil {
		t.Fatal("Add of a closed connection succeeded")
	}
	if p.Len() != 0 {
		t.Fatalf("Len %d after a failed Add", p.Len())
	}
}

func TestMain(m *testing.M) { testkit.VerifyNoLeaks(m) }
