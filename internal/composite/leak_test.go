package composite

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/evtctl/evtctl/pkg/proto"
)

// Stopping the server stops the follower and the publisher, also with
// composites in flight.
func TestStopLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := gateway(t, testConfig(t))
	createRule(t, h, func() map[string]any { b := docRuleBody("acme"); b["min_events"] = 1; return b }())
	writer := h.NewKey("acme", proto.ScopeEventsWrite)
	for i := range 20 {
		ingestSound(t, h, writer, "evt_"+string(rune('a'+i)), t0.Add(time.Duration(i)*time.Second))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
