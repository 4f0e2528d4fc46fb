package stream_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Stop returns only once every per-connection goroutine has: the
// sessions' writers (one stuck on a client that reads nothing) and a
// catch-up reader waiting for that client to drain its queue. The clients
// are read by the poller, which Stop closes (no reader goroutines).
func TestStopWaitsForSessionGoroutines(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Limits.QueueMessages = 64 })
	ctx := context.Background()
	// 8 MB of history for the stalled SSE client to catch up on: more than
	// loopback socket buffers hold.
	pad := strings.Repeat("x", 4000)
	for b := range 20 {
		var entries []store.Entry
		for i := range 100 {
			id := fmt.Sprintf("a-%d-%d", b, i)
			entries = append(entries, store.Entry{ID: id,
				Address: store.Address{Family: string(proto.FamilyAnalysis), Owner: "acme", DeviceID: "dev-1", EventType: "analysis"},
				Data:    []byte(fmt.Sprintf(`{"analysisId":%q,"pad":%q}`, id, pad))})
		}
		if _, err := e.Server.Log().Append(ctx, entries); err != nil {
			t.Fatal(err)
		}
	}
	sse := e.NewKey("acme", proto.ScopeDeviceRead)
	ws := e.NewKey("acme", proto.ScopeEventsRead)
	br, _ := rawSSE(t, e.Harness, "/api/v1/devices/dev-1/analysis/stream", sse, "Last-Event-ID: 1")
	if head := readUntilBlank(t, br); !strings.HasPrefix(head, "HTTP/1.1 200 OK") {
		t.Fatalf("head %q", head)
	}
	// ...and reads no further.
	dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events"), ws)
	testkit.Eventually(t, 20*time.Second, "the catch-up waiting for the stalled client", func() bool {
		return strings.Contains(goroutines(), "hub.(*Session).CatchUp")
	})
	if n := len(sessionGoroutines()); n < 2 {
		t.Fatalf("%d goroutines of sessions before Stop, want at least 2 (writer, catch-up):\n%s", n, goroutines())
	}
	if !strings.Contains(goroutines(), "netpoll.(*Poller).loop") {
		t.Fatal("no poller goroutine")
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	e.svc.Stop(stopCtx)
	if stopCtx.Err() != nil {
		t.Fatal("Stop ran out of time")
	}
	// A goroutine that has just told the hub it ended may still be on its
	// way out for an instant; none may still be working.
	for _, g := range sessionGoroutines() {
		for _, work := range []string{"stream.(*Service).catchUp", "store.(*Log).Read", "stream.readLoop", "stream.readable", "hub.(*Session).writeFinal"} {
			if strings.Contains(g, work) {
				t.Fatalf("still in %s after Stop:\n%s", work, g)
			}
		}
	}
	var left []string
	for deadline := time.Now().Add(time.Second); ; time.Sleep(10 * time.Millisecond) {
		if left = sessionGoroutines(); len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Fatalf("goroutines of sessions still running after Stop:\n%s", strings.Join(left, "\n\n"))
	}
	if strings.Contains(goroutines(), "netpoll.(*Poller).loop") {
		t.Fatal("the poller's goroutine still runs after Stop")
	}
}

func goroutines() string {
	buf := make([]byte, 8<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// sessionGoroutines returns the stacks of the goroutines running code of
// the hub or of package stream (not its tests).
func sessionGoroutines() []string {
	var out []string
	for _, g := range strings.Split(goroutines(), "\n\n") {
		if strings.Contains(g, "evtctl/internal/hub.") || strings.Contains(g, "evtctl/internal/stream.") {
			out = append(out, g)
		}
	}
	return out
}
