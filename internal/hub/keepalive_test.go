package hub

import (
	"context"
	"testing"
	"time"
)

// Keep-alives come every KeepAliveEvery, not every period plus one tick
// (the SSE heartbeat of 15 s once came every 16 s).
func TestKeepAlivePeriod(t *testing.T) {
	kind := *testKind
	kind.KeepAlive, kind.KeepAliveEvery = wsText(nil), 2*time.Second
	h := testHub(roomy)
	srv, cli := tcpPair(t)
	h.Register(srv, Subscription{Kind: &kind, Keys: acme.Keys}, false, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	readTexts(t, cli, 1)
	start := time.Now()
	readTexts(t, cli, 1)
	readTexts(t, cli, 1)
	readTexts(t, cli, 1)
	// Three periods: 6 s; with the old off-by-a-tick, 9 s.
	if d := time.Since(start); d < 5*time.Second || d > 7500*time.Millisecond {
		t.Fatalf("three keep-alives took %v, want about 6s", d)
	}
}

func TestKeepAliveDue(t *testing.T) {
	k := &Kind{KeepAliveEvery: 15 * time.Second}
	sec := int64(time.Second)
	// Written just after the tick at 0 (the keep-alive of that tick): due
	// at the tick 15 s later, not 16 s.
	if !keepAliveDue(k, 15*sec, 1000) {
		t.Error("not due at the tick one period after a keep-alive")
	}
	if keepAliveDue(k, 14*sec, 0) {
		t.Error("due a second early")
	}
	if keepAliveDue(&Kind{}, 100*sec, 0) {
		t.Error("due on a kind without keep-alives")
	}
}
