package endpoint_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/testkit"
)

// TestFilterConditionLifecycle: a condition is compiled into the endpoint's
// matcher when written, replaced by an update, and removed by "".
func TestFilterConditionLifecycle(t *testing.T) {
	h, eps := start(t)
	ep := create(t, h, "/api/v1/endpoints", map[string]any{"name": "ws", "type": "websocket"})
	epID := ep["id"].(string)
	f := create(t, h, "/api/v1/event-filters", map[string]any{"name": "f", "endpoint_id": epID, "where": "  event.confidence >= 0.8  "})
	if f["where"] != "event.confidence >= 0.8" {
		t.Fatalf("where stored as %q", f["where"])
	}
	rec := func(conf string) store.Record {
		return store.Record{Address: store.Address{Family: "sound", Owner: "default", EventType: "dog_bark"},
			Data: []byte(`{"id":"s","label_id":"dog_bark","confidence":` + conf + `}`)}
	}
	testkit.Eventually(t, 5*time.Second, "the condition in the matcher", func() bool {
		m := eps.Matcher(epID)
		return m.Match(rec("0.9")) && !m.Match(rec("0.5"))
	})
	patch := func(body map[string]any) {
		t.Helper()
		if r := h.Do("PATCH", "/api/v1/event-filters/"+f["id"].(string), admin, "", body); r.Status != http.StatusOK {
			t.Fatalf("PATCH: %d %s", r.Status, r.Body)
		}
	}
	patch(map[string]any{"where": "event.confidence < 0.6"})
	testkit.Eventually(t, 5*time.Second, "the new condition", func() bool {
		m := eps.Matcher(epID)
		return !m.Match(rec("0.9")) && m.Match(rec("0.5"))
	})
	// A bad condition leaves the filter as it was.
	if r := h.Do("PATCH", "/api/v1/event-filters/"+f["id"].(string), admin, "", map[string]any{"where": "event.confidence <"}); r.Status != http.StatusBadRequest {
		t.Fatalf("bad condition: %d %s", r.Status, r.Body)
	}
	patch(map[string]any{"name": "renamed"})
	patch(map[string]any{"where": ""})
	testkit.Eventually(t, 5*time.Second, "no condition", func() bool {
		m := eps.Matcher(epID)
		return m.Match(rec("0.9")) && m.Match(rec("0.5"))
	})
}
