package webhook_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/testkit"
)

// One NDJSON request of one microphone's events is stored as a bundle
// (internal/store/bundle.go), one JetStream message for all of them. The
// events of a bundle are still delivered and retried one by one: here
// every fifth fails its first attempt, and each of those is retried alone
// while the others are delivered exactly once.
func TestBundleEventsRetryAlone(t *testing.T) {
	e := start(t)
	rc := newReceiver(t)
	rc.respond = func(h hit, prior int) (int, http.Header) {
		n, _ := strconv.Atoi(strings.TrimPrefix(h.eventID, "b"))
		if n%5 == 0 && prior == 0 {
			return http.StatusServiceUnavailable, nil
		}
		return http.StatusNoContent, nil
	}
	ep := e.createWebhook(t, rc.srv.URL)
	rc.expect(ep.Secret)

	const n = 100
	ids := e.ingestSound(t, "b", n)
	testkit.Eventually(t, 20*time.Second, "every record succeeded", func() bool {
		return len(e.deliveries(t, ep.ID, "&status=succeeded")) == n
	})
	time.Sleep(300 * time.Millisecond) // a wrong redelivery would show by now
	rc.checkSignatures(t)
	got := rc.byEvent()
	for i, id := range ids {
		want := 1
		if i%5 == 0 {
			want = 2
		}
		if len(got[id]) != want {
			t.Errorf("event %s: %d requests, want %d", id, len(got[id]), want)
		}
	}
}
