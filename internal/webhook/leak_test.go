package webhook_test

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/evtctl/evtctl/internal/testkit"
)

// TestStopLeavesNoGoroutines: after Shutdown, with attempts in flight, a
// retry scheduled, an endpoint disabled mid-flight and a replay queued,
// every goroutine of the dispatcher has ended.
func TestStopLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	e := start(t)
	rc := newReceiver(t)
	rc.delay = 200 * time.Millisecond
	rc.respond = func(h hit, prior int) (int, http.Header) {
		if prior == 0 {
			return 503, nil
		}
		return 200, nil
	}
	ep := e.createWebhook(t, rc.srv.URL)
	other := e.createWebhook(t, rc.srv.URL)
	e.ingestSound(t, "q", 20)
	testkit.Eventually(t, 30*time.Second, "attempts in flight", func() bool { return len(rc.snapshot()) > 0 })
	e.Do("PATCH", "/api/v1/endpoints/"+other.ID, "test-admin-token", "", map[string]any{"enabled": false})
	e.Do("POST", "/api/v1/endpoints/"+ep.ID+"/replay", "test-admin-token", "", map[string]any{"since": "2020-01-01T00:00:00Z"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The dispatcher's Stop returns only when its last attempt has ended,
	// also for the worker stopped earlier by the disable.
	e.wh.Stop(ctx)
	// A goroutine that has just called Done is still on its way out for a
	// moment (its remaining deferred calls); give such ones a short while,
	// as goleak does, instead of failing on that instant.
	var left []string
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if left = dispatcherGoroutines(); len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Fatalf("dispatcher goroutines still running after Stop:\n%s", strings.Join(left, "\n\n"))
	}
	if err := e.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	rc.srv.Close()
	http.DefaultClient.CloseIdleConnections()
}

// dispatcherGoroutines returns the stacks of the goroutines running code of
// package webhook (not its tests).
func dispatcherGoroutines() []string {
	buf := make([]byte, 4<<20)
	var out []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "evtctl/internal/webhook.") {
			out = append(out, g)
		}
	}
	return out
}
