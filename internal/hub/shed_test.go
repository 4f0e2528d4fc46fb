package hub

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/metrics"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/testkit"
)

// Past the node's bound on queued bytes, the sessions furthest behind are
// closed first, as slow consumers (4008), although each is far within its
// own limits; the bytes queued on the node stay near the bound, a reading
// client keeps receiving every event in order, and the count returns to
// zero once every session has ended.
func TestNodeQueueBoundShedsTheSlowestFirst(t *testing.T) {
	const budget = 512 << 10
	h := New(Options{
		Limits:         Limits{QueueMessages: 1 << 20, QueueBytes: 64 << 20, WriteTimeout: 30 * time.Second},
		NodeQueueBytes: budget,
		Metrics:        metrics.New(),
		Route:          testRoute,
	})
	// Two clients that do not read, with small socket buffers so that the
	// kernel holds little of what is sent to them. "slowest" also follows
	// tenant big, whose events only it receives: it is the furthest behind.
	stalled := func(keys ...Key) (*Session, net.Conn) {
		srv, cli := tcpPair(t)
		_ = srv.(*net.TCPConn).SetWriteBuffer(8 << 10)
		_ = cli.(*net.TCPConn).SetReadBuffer(8 << 10)
		return h.Register(srv, Subscription{Kind: testKind, Keys: keys}, false, nil), cli
	}
	slowest, slowestCli := stalled(tenantKey("acme"), tenantKey("big"))
	slow, _ := stalled(tenantKey("acme"))
	srv, cli := tcpPair(t)
	reader := h.Register(srv, acme, false, nil)
	got := make(chan []string, 1)
	go func() { got <- readTexts(t, cli, 1500) }()

	pad := bytes.Repeat([]byte("x"), 1000)
	event := func(owner string, seq uint64) store.Record {
		return store.Record{Seq: seq, Address: store.Address{Family: "composite", Owner: owner},
			Data: fmt.Appendf(nil, `{"n":%d,"pad":"%s"}`, seq, pad)}
	}
	seq := uint64(0)
	for range 100 {
		seq++
		h.Dispatch(event("big", seq))
	}
	var most int64
	var drained chan []byte
	slowClosedFirst := false
	for i := range 1500 {
		seq++
		h.Dispatch(event("acme", seq))
		most = max(most, h.QueuedBytes())
		if drained == nil && slowest.Reason() != "" {
			slowClosedFirst = slow.Reason() == ""
			// Read what the closed client is sent: its close frame.
			drained = make(chan []byte, 1)
			go func() { b, _ := io.ReadAll(slowestCli); drained <- b }()
		}
		if i%25 == 0 {
			time.Sleep(time.Millisecond) // the reading client keeps up
		}
	}
	if drained == nil {
		t.Fatalf("no session was closed; %d bytes queued on the node", h.QueuedBytes())
	}
	if !slowClosedFirst {
		t.Fatal("the session furthest behind was not the first closed")
	}
	// Each dispatch may overshoot by one frame per session and a cut write.
	if most > budget+128<<10 {
		t.Fatalf("%d bytes queued on the node, bound %d", most, budget)
	}
	select {
	case <-slowest.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the shed session did not end")
	}
	if r := slowest.Reason(); r != ReasonSlowConsumer {
		t.Fatalf("reason %q, want %q", r, ReasonSlowConsumer)
	}
	if b := <-drained; !bytes.Contains(b, wsClose(4008, "slow consumer: resume with ?after=")) {
		t.Fatalf("the shed client did not get close code 4008 (%d bytes)", len(b))
	}
	texts := <-got
	for i, s := range texts {
		if want := `{"n":` + strconv.Itoa(101+i) + `,`; !bytes.HasPrefix([]byte(s), []byte(want)) {
			t.Fatalf("reader's frame %d is %.20s…, want %s…", i, s, want)
		}
	}
	if r := reader.Reason(); r != "" {
		t.Fatalf("the reading session was closed: %s", r)
	}
	h.CloseAll(ReasonShutdown)
	testkit.Eventually(t, 5*time.Second, "every session to end", func() bool { return h.Count() == 0 })
	if n := h.QueuedBytes(); n != 0 {
		t.Fatalf("%d bytes still counted after every session ended", n)
	}
}
