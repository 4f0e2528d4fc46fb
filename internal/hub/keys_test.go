package hub

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/metrics"
	"github.com/evtctl/evtctl/internal/store"
)

// A record reaches the sessions of every key its router names, and no
// other; a frame is built once however many sessions and keys share it,
// and not at all when no session is registered under its keys. Close ends
// the sessions of one key only.
func TestKeysRouteFramesAndClose(t *testing.T) {
	var builds atomic.Int64
	route := func(rec store.Record, to func(Key, *Frame)) {
		f := NewFrame(func() []byte { builds.Add(1); return wsText(rec.Data) })
		to("a", f)
		to("b", f)
		to("nobody", NewFrame(func() []byte { t.Error("a frame without sessions was built"); return nil }))
	}
	h := New(Options{Limits: roomy, Metrics: metrics.New(), Route: route})
	type client struct {
		s   *Session
		cli net.Conn
	}
	open := func(keys ...Key) client {
		srv, cli := tcpPair(t)
		return client{h.Register(srv, Subscription{Kind: testKind, Keys: keys}, false, nil), cli}
	}
	a, b, both, other := open("a"), open("b", "close-me"), open("a", "b"), open("c", "close-me")
	h.Dispatch(composite(1))
	for _, c := range []client{a, b, both} {
		if got := readTexts(t, c.cli, 1); got[0] != `{"n":1}` {
			t.Fatalf("frame %q", got[0])
		}
	}
	if n := builds.Load(); n != 1 {
		t.Fatalf("frame built %d times, want once", n)
	}
	h.Close("close-me", reasonRevoked)
	for _, c := range []client{b, other} {
		select {
		case <-c.s.Done():
		case <-time.After(3 * time.Second):
			t.Fatal("a session under the closed key did not end")
		}
	}
	if h.Count() != 2 {
		t.Fatalf("%d sessions left, want 2", h.Count())
	}
	// other was never sent a data frame: only its close frame.
	rest, _ := io.ReadAll(other.cli)
	if !bytes.Equal(rest, wsClose(1008, "API key revoked")) {
		t.Fatalf("closed session got % x", rest)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// Shutdown ends every session with the kind's final frame and returns only
// once their goroutines (writers and those started with Session.Go) have
// returned; a session registered afterwards is refused with the final
// frame, and Go starts nothing on an ended session.
func TestShutdownWaitsForSessionGoroutines(t *testing.T) {
	h := testHub(roomy)
	srv, cli := tcpPair(t)
	s := h.Register(srv, acme, true, nil)
	var returned atomic.Bool
	started := make(chan struct{})
	s.Go(func(ctx context.Context) {
		close(started)
		<-ctx.Done() // a catch-up reader blocked in storage
		time.Sleep(50 * time.Millisecond)
		returned.Store(true)
	})
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !returned.Load() {
		t.Fatal("Shutdown returned before the session's goroutine")
	}
	if got, _ := io.ReadAll(cli); !bytes.Equal(got, wsClose(1001, "server shutting down")) {
		t.Fatalf("client got % x, want close 1001", got)
	}

	srv2, cli2 := tcpPair(t)
	done := false
	late := h.Register(srv2, acme, false, func() { done = true })
	select {
	case <-late.Done():
	default:
		t.Fatal("a session registered after Shutdown is not ended")
	}
	if !done || late.Reason() != ReasonShutdown || h.Count() != 0 {
		t.Fatalf("onDone ran %v, reason %q, %d sessions", done, late.Reason(), h.Count())
	}
	if late.Go(func(context.Context) { t.Error("Go ran on an ended session") }) {
		t.Fatal("Go reported a start on an ended session")
	}
	if got, _ := io.ReadAll(cli2); !bytes.Equal(got, wsClose(1001, "server shutting down")) {
		t.Fatalf("late client got % x, want close 1001", got)
	}
	if err := h.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}

// Shutdown gives up when its context ends before the goroutines do.
func TestShutdownHonoursContext(t *testing.T) {
	h := testHub(roomy)
	srv, _ := tcpPair(t)
	s := h.Register(srv, acme, false, nil)
	release := make(chan struct{})
	s.Go(func(context.Context) { <-release })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown returned nil with a goroutine still running")
	}
	close(release)
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
