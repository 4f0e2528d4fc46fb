package webhook_test

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
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
	waitFor(t, 30*time.Second, "attempts in flight", func() bool { return len(rc.snapshot()) > 0 })
	e.Do("PATCH", "/api/v1/endpoints/"+other.ID, "test-admin-token", "", map[string]any{"enabled": false})
	e.Do("POST", "/api/v1/endpoints/"+ep.ID+"/replay", "test-admin-token", "", map[string]any{"since": "2020-01-01T00:00:00Z"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The dispatcher's Stop returns only when its last attempt has ended,
	// also for the worker stopped earlier by the disable.
	e.wh.Stop(ctx)
	buf := make([]byte, 1<<20)
	if stacks := string(buf[:runtime.Stack(buf, true)]); strings.Contains(stacks, "evtctl/internal/webhook.") {
		t.Fatalf("dispatcher goroutines still running after Stop:\n%s", stacks)
	}
	if err := e.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	rc.srv.Close()
	http.DefaultClient.CloseIdleConnections()
}
