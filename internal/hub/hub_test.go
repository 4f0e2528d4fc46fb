package hub

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/evtctl/evtctl/internal/metrics"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/testkit"
)

func testHub(l Limits) *Hub {
	return New(Options{Limits: l, Metrics: metrics.New(), Route: testRoute})
}

var roomy = Limits{QueueMessages: 1024, QueueBytes: 1 << 20, WriteTimeout: 5 * time.Second}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// readTexts reads n WebSocket text frames (unmasked server frames) and
// returns their payloads.
func readTexts(t *testing.T, c net.Conn, n int) []string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	var out []string
	for len(out) < n {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			t.Fatalf("after %d frames: %v", len(out), err)
		}
		size := int(h[1] & 0x7f)
		switch size {
		case 126:
			var b [2]byte
			_, _ = io.ReadFull(br, b[:])
			size = int(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			_, _ = io.ReadFull(br, b[:])
			size = int(binary.BigEndian.Uint64(b[:]))
		}
		p := make([]byte, size)
		if _, err := io.ReadFull(br, p); err != nil {
			t.Fatal(err)
		}
		if h[0]&0x0f != opText {
			t.Fatalf("frame %d: opcode %d, want text", len(out), h[0]&0x0f)
		}
		out = append(out, string(p))
	}
	return out
}

func composite(seq uint64) store.Record {
	return store.Record{Seq: seq, Address: store.Address{Family: "composite", Owner: "acme"}, Data: []byte(`{"n":` + strconv.FormatUint(seq, 10) + `}`)}
}

// Frames reach the client in log order; a sequence not above the last one
// queued (a catch-up/live overlap) is not sent twice; other tenants' events
// are not sent at all.
func TestSessionOrderAndDuplicates(t *testing.T) {
	h := testHub(roomy)
	srv, cli := tcpPair(t)
	h.Register(srv, acme, false, nil)
	for _, seq := range []uint64{1, 2, 2, 1, 3} {
		h.Dispatch(composite(seq))
	}
	other := composite(4)
	other.Address.Owner = "globex"
	h.Dispatch(other)
	h.Dispatch(composite(5))
	got := readTexts(t, cli, 4)
	want := []string{`{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":5}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("frames %v, want %v", got, want)
	}
}

// Live events that arrive during a catch-up wait for it; the catch-up's
// frames come first, and a live event the catch-up already sent is not
// repeated.
func TestSessionCatchUpThenLive(t *testing.T) {
	h := testHub(roomy)
	srv, cli := tcpPair(t)
	s := h.Register(srv, acme, true, nil)
	h.Dispatch(composite(5)) // live, during the catch-up
	h.Dispatch(composite(6))
	for seq := uint64(3); seq <= 5; seq++ {
		if !s.CatchUp(seq, wsText(composite(seq).Data)) {
			t.Fatal("catch-up refused")
		}
	}
	s.EndCatchUp()
	h.Dispatch(composite(7))
	got := readTexts(t, cli, 5)
	want := []string{`{"n":3}`, `{"n":4}`, `{"n":5}`, `{"n":6}`, `{"n":7}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("frames %v, want %v", got, want)
	}
}

// A session's starting point holds against live events dispatched late:
// an event appended before the client asked to start "from now", which
// the hub receives from the log only after the session registered, is not
// sent, even with nothing to catch up on.
func TestSessionStartAfterDropsLateLive(t *testing.T) {
	h := testHub(roomy)
	srv, cli := tcpPair(t)
	s := h.Register(srv, acme, true, nil)
	h.Dispatch(composite(4)) // stored before the request, dispatched after
	s.StartAfter(4)
	h.Dispatch(composite(5))
	s.EndCatchUp()
	h.Dispatch(composite(6))
	got := readTexts(t, cli, 2)
	want := []string{`{"n":5}`, `{"n":6}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("frames %v, want %v", got, want)
	}
}

// A client that does not read is disconnected once its queue is full, with
// close code 4008, without the hub ever waiting for it; a reading client on
// the same hub gets everything.
func TestSlowConsumerIsDisconnected(t *testing.T) {
	h := testHub(Limits{QueueMessages: 8, QueueBytes: 1 << 20, WriteTimeout: 5 * time.Second})
	stalledSrv, stalledCli := net.Pipe() // a write blocks until the other side reads
	t.Cleanup(func() { stalledSrv.Close(); stalledCli.Close() })
	srv, cli := tcpPair(t)
	stalled := h.Register(stalledSrv, acme, false, nil)
	h.Register(srv, acme, false, nil)

	var slowest time.Duration
	for seq := uint64(1); seq <= 20; seq++ {
		start := time.Now()
		h.Dispatch(composite(seq))
		slowest = max(slowest, time.Since(start))
		time.Sleep(2 * time.Millisecond) // the reading client keeps up; a burst of 20 would overflow its 8 too
	}
	if slowest > 100*time.Millisecond {
		t.Fatalf("one dispatch took %v: the hub waited for the stalled client", slowest)
	}
	if got := readTexts(t, cli, 20); got[19] != `{"n":20}` {
		t.Fatalf("the reading client's last frame is %s", got[19])
	}
	// The stalled client now reads: the frame being written when the queue
	// overflowed, then the close frame (queued frames were dropped).
	var buf bytes.Buffer
	copied := make(chan struct{})
	go func() { defer close(copied); _, _ = io.Copy(&buf, stalledCli) }() // until the server closes
	select {
	case <-stalled.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("the stalled session did not end")
	}
	if r := stalled.Reason(); r != ReasonSlowConsumer {
		t.Fatalf("reason %q, want %q", r, ReasonSlowConsumer)
	}
	var m dto.Metric
	_ = h.metrics.QueueOverflows.WithLabelValues(testKind.Name).Write(&m)
	if n := m.GetCounter().GetValue(); n != 1 {
		t.Fatalf("queue overflows %v, want 1", n)
	}
	<-copied
	if !bytes.Contains(buf.Bytes(), wsClose(4008, "slow consumer: resume with ?after=")) {
		t.Fatalf("the stalled client did not get close code 4008: % x", buf.Bytes())
	}
}

// A write that does not complete within the write timeout ends the session
// (the kernel buffer of a stalled TCP client fills before the queue does).
func TestWriteTimeout(t *testing.T) {
	h := testHub(Limits{QueueMessages: 1024, QueueBytes: 1 << 20, WriteTimeout: 200 * time.Millisecond})
	srv, cli := net.Pipe()
	t.Cleanup(func() { srv.Close(); cli.Close() })
	s := h.Register(srv, acme, false, nil)
	h.Dispatch(composite(1))
	select {
	case <-s.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("the session did not end after its write timed out")
	}
	if r := s.Reason(); r != ReasonWriteTimeout {
		t.Fatalf("reason %q, want %q", r, ReasonWriteTimeout)
	}
	if h.Count() != 0 {
		t.Fatalf("%d sessions registered after the end, want 0", h.Count())
	}
}

// Frames queued while a write is in progress leave together: the writer
// drains the whole queue per system call instead of one frame each.
func TestQueuedFramesAreCoalesced(t *testing.T) {
	h := testHub(roomy)
	srv, cli := net.Pipe()
	t.Cleanup(func() { srv.Close(); cli.Close() })
	w := &countingConn{Conn: srv}
	h.Register(w, acme, false, nil)
	h.Dispatch(composite(1)) // the writer blocks on this until the client reads
	time.Sleep(50 * time.Millisecond)
	for seq := uint64(2); seq <= 100; seq++ {
		h.Dispatch(composite(seq))
	}
	if got := readTexts(t, cli, 100); got[99] != `{"n":100}` {
		t.Fatalf("last frame %s", got[99])
	}
	// net.Pipe has no writev: net.Buffers writes each frame, so count the
	// batches the writer handed over instead (one per WriteTo).
	if b := w.batches(); b > 3 {
		t.Fatalf("%d write batches for 100 frames, want the 99 queued ones in one or two", b)
	}
}

// countingConn counts the writer's batches: net.Buffers.WriteTo calls Write
// once per frame on a conn without writev, and the writer sets a deadline
// once per batch.
type countingConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countingConn) SetWriteDeadline(t time.Time) error {
	c.n.Add(1)
	return c.Conn.SetWriteDeadline(t)
}

func (c *countingConn) batches() int64 { return c.n.Load() }

// LastSeq moves to an event before Dispatch releases the registration
// lock: a stream that registers right after a dispatch then sees LastSeq
// past its request's mark and catches up on the event from the log, instead of
// concluding it missed nothing (the event would be lost to it). Match runs
// under that lock, so it observes the order.
func TestLastSeqMovesBeforeRegistrationsResume(t *testing.T) {
	h := testHub(roomy)
	srv, _ := tcpPair(t)
	var seen uint64
	h.Register(srv, Subscription{Kind: testKind, Keys: acme.Keys, Match: func(store.Record) bool {
		seen = h.LastSeq()
		return false
	}}, false, nil)
	h.SetLastSeq(6)
	h.Dispatch(composite(7))
	if seen != 7 {
		t.Fatalf("LastSeq during the dispatch of 7 = %d, want 7", seen)
	}
}

// wsFrames parses the server frames in b: opcode and payload of each, and
// whether b ends in the middle of a frame.
func wsFrames(b []byte) (ops []byte, payloads [][]byte, cut bool) {
	for len(b) > 0 {
		if len(b) < 2 {
			return ops, payloads, true
		}
		op, size, h := b[0]&0x0f, int(b[1]&0x7f), 2
		switch size {
		case 126:
			if len(b) < 4 {
				return ops, payloads, true
			}
			size, h = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return ops, payloads, true
			}
			size, h = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		if len(b) < h+size {
			return ops, payloads, true
		}
		ops, payloads = append(ops, op), append(payloads, b[h:h+size])
		b = b[h+size:]
	}
	return ops, payloads, false
}

// Close cuts a write stuck on a client that does not read: the backlog,
// including the rest of the batch being written, is dropped, but the frame
// the write was in the middle of is finished before the close frame, so
// the client can parse up to the close code.
func TestCloseFinishesTheFrameInFlight(t *testing.T) {
	h := testHub(roomy)
	srv, cli := net.Pipe()
	t.Cleanup(func() { srv.Close(); cli.Close() })
	s := h.Register(srv, acme, true, nil)
	big := func(seq uint64) store.Record {
		r := composite(seq)
		r.Data = bytes.Repeat([]byte{'a' + byte(seq)}, 50_000)
		return r
	}
	for seq := uint64(1); seq <= 3; seq++ {
		h.Dispatch(big(seq)) // held while catching up
	}
	s.EndCatchUp() // the three frames leave in one batch
	head := make([]byte, 100)
	_ = cli.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(cli, head); err != nil {
		t.Fatal(err)
	}
	s.Close(reasonRevoked)
	rest, err := io.ReadAll(cli) // until the server closes
	if err != nil {
		t.Fatal(err)
	}
	ops, payloads, cut := wsFrames(append(head, rest...))
	if cut || len(ops) != 2 || ops[0] != opText || ops[1] != opClose {
		t.Fatalf("frames %v (cut %v), want the first text frame whole, then close", ops, cut)
	}
	if !bytes.Equal(payloads[0], big(1).Data) {
		t.Fatal("the frame in flight was not finished intact")
	}
	if code := binary.BigEndian.Uint16(payloads[1]); code != 1008 || string(payloads[1][2:]) != "API key revoked" {
		t.Fatalf("close %d %q", code, payloads[1][2:])
	}
	<-s.Done()
}

// A write cut short right between two frames sends no partial rest.
func TestUnfinished(t *testing.T) {
	a, b, c := []byte("aaaa"), []byte("bb"), []byte("cccccc")
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, ""}, {1, "aaa"}, {4, ""}, {5, "b"}, {6, ""}, {7, "ccccc"}, {12, ""},
	} {
		bufs := net.Buffers{a, b, c}
		var w bytes.Buffer
		lim := &limitedWriter{w: &w, n: tc.n}
		n, _ := bufs.WriteTo(lim)
		if got := string(unfinished([]int{4, 2, 6}, n, bufs)); got != tc.want {
			t.Errorf("after %d bytes: rest %q, want %q", tc.n, got, tc.want)
		}
	}
}

// limitedWriter accepts n bytes, then fails.
type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		k := int(l.n)
		l.n = 0
		_, _ = l.w.Write(p[:k])
		return k, io.ErrShortWrite
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

// Done's channel is made on first use: asked for before the session
// ended, it closes when it ends; asked for only after, it is closed at
// once. Ended tells the same without making it.
func TestDoneBeforeAndAfterEnd(t *testing.T) {
	h := testHub(Limits{QueueMessages: 16, QueueBytes: 1 << 20, WriteTimeout: time.Second})
	for _, early := range []bool{true, false} {
		srv, cli := net.Pipe()
		t.Cleanup(func() { srv.Close(); cli.Close() })
		go func() { _, _ = io.Copy(io.Discard, cli) }()
		s := h.Register(srv, acme, false, nil)
		var done <-chan struct{}
		if early {
			done = s.Done()
		}
		if s.Ended() {
			t.Fatal("Ended before the session ended")
		}
		s.Close(ReasonClientGone)
		testkit.Eventually(t, 5*time.Second, "the session to end", s.Ended)
		if !early {
			done = s.Done()
		}
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Done (asked for early: %v) not closed after the session ended", early)
		}
	}
}
