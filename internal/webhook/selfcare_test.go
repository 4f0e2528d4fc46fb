package webhook_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

func (e *env) filter(t *testing.T, body map[string]any) proto.EventFilter {
	t.Helper()
	r := e.Do("POST", "/api/v1/event-filters", servertest.AdminToken, "", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create filter: %d %s", r.Status, r.Body)
	}
	var f proto.EventFilter
	r.JSON(t, &f)
	return f
}

func (e *env) patch(t *testing.T, path string, body map[string]any) proto.Endpoint {
	t.Helper()
	r := e.Do("PATCH", path, servertest.AdminToken, "", body)
	if r.Status != http.StatusOK {
		t.Fatalf("PATCH %s: %d %s", path, r.Status, r.Body)
	}
	var ep proto.Endpoint
	r.JSON(t, &ep)
	return ep
}

// operational returns the tenant's operational events in the log.
func (e *env) operational(t *testing.T) []proto.OperationalEvent {
	t.Helper()
	r := e.Do("GET", "/api/v1/events?family=operational&limit=1000", servertest.AdminToken, "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("query: %d %s", r.Status, r.Body)
	}
	var page proto.EventPage
	r.JSON(t, &page)
	out := make([]proto.OperationalEvent, len(page.Items))
	for i, it := range page.Items {
		if it.Family != proto.FamilyOperational {
			t.Fatalf("family %q in an operational query", it.Family)
		}
		if err := json.Unmarshal(it.Event, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func ofType(evs []proto.OperationalEvent, typ, endpointID string) []proto.OperationalEvent {
	var out []proto.OperationalEvent
	for _, ev := range evs {
		if ev.Type == typ && ev.EndpointID == endpointID {
			out = append(out, ev)
		}
	}
	return out
}

func soundWith(id string, confidence float64, label string) string {
	return fmt.Sprintf(`{"id":%q,"created_at":"2026-03-26T09:00:00Z","label_id":%q,"mic_id":"mic_1","confidence":%g}`, id, label, confidence)
}

// TestConditionFilters: a payload condition narrows what the webhook gets
// (live and replayed), and a condition that does not compile is a 400
// naming where it fails.
func TestConditionFilters(t *testing.T) {
	e := start(t)
	rc := newReceiver(t)
	ep := e.createWebhook(t, rc.srv.URL)
	e.filter(t, map[string]any{"name": "glass", "endpoint_id": ep.ID, "where": `event.confidence >= 0.8 && event.label_id.startsWith("glass")`})

	var b strings.Builder
	for i, c := range []struct {
		conf  float64
		label string
	}{{0.9, "glass_break"}, {0.5, "glass_break"}, {0.95, "dog_bark"}, {0.81, "glass_shatter"}} {
		b.WriteString(soundWith(fmt.Sprintf("c%d", i), c.conf, c.label) + "\n")
	}
	b.WriteString(`{"id":"c9","created_at":"2026-03-26T09:00:00Z","label_id":"glass_x","mic_id":"mic_1"}` + "\n") // no confidence: an error, no match
	if r := e.Do("POST", "/api/v1/events/sound", servertest.AdminToken, "application/x-ndjson", b.String()); r.Status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 10*time.Second, "two matching deliveries", func() bool { return len(rc.byEvent()) == 2 })
	got := rc.byEvent()
	if _, ok := got["c0"]; !ok {
		t.Fatalf("deliveries %v", got)
	}
	if _, ok := got["c3"]; !ok {
		t.Fatalf("deliveries %v", got)
	}
	// Every request names the event's family and type.
	for _, h := range rc.snapshot() {
		if h.hdr.Get("Evt-Family") != "sound" || !strings.HasPrefix(h.hdr.Get("Evt-Event-Type"), "glass_") {
			t.Errorf("headers %v", h.hdr)
		}
	}

	raw := `{"name":"bad","endpoint_id":"` + ep.ID + `","where":"event.x == '` + "\xff\xfe" + `'"}`
	if r := e.Do("POST", "/api/v1/event-filters", servertest.AdminToken, "application/json", raw); r.Status != http.StatusBadRequest {
		t.Errorf("non-UTF-8 condition: %d %s", r.Status, r.Body)
	}
	for _, c := range []struct{ where, want string }{
		{`event.confidence >=`, `line 1, column 20`},
		{`event.confidence`, `must be a boolean expression`},
		{`nope == 1`, `undeclared reference to 'nope'`},
		{strings.Repeat("é", 2500), `at most 4096 bytes`},
		{strings.Repeat("*", 5000), `at most 4096 bytes`},
	} {
		r := e.Do("POST", "/api/v1/event-filters", servertest.AdminToken, "", map[string]any{"name": "bad", "endpoint_id": ep.ID, "where": c.where})
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), c.want) || !strings.Contains(string(r.Body), `"field":"where"`) {
			t.Errorf("%.30q: %d %s, want 400 saying %q", c.where, r.Status, r.Body, c.want)
		}
	}
}

// TestEndpointHeadersAndLimits: custom headers reach the receiver, reserved
// ones are refused, the concurrency and rate limit of the endpoint hold.
func TestEndpointHeadersAndLimits(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Webhooks.Concurrency = 16 })
	rc := newReceiver(t)
	rc.delay = 20 * time.Millisecond
	r := e.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "limited", "type": "webhook", "url": rc.srv.URL,
		"headers": map[string]string{"Authorization": "Bearer abc", "X-Team": "ops"}, "concurrency": 1, "rate_limit": 20})
	var ep proto.Endpoint
	if r.JSON(t, &ep); r.Status != http.StatusCreated || ep.Concurrency != 1 || ep.RateLimit != 20 || ep.Headers["X-Team"] != "ops" {
		t.Fatalf("endpoint %d %s", r.Status, r.Body)
	}
	start := time.Now()
	e.ingestSound(t, "h", 30)
	testkit.Eventually(t, 20*time.Second, "30 deliveries", func() bool { return len(rc.byEvent()) == 30 })
	// 30 at 20/s with a burst of 2: at least 1.4 s, however fast the machine.
	if took := time.Since(start); took < 1400*time.Millisecond {
		t.Errorf("30 deliveries at 20/s took %v", took)
	}
	if m := rc.maxIn.Load(); m != 1 {
		t.Errorf("%d requests in flight at once, want 1", m)
	}
	for _, h := range rc.snapshot() {
		if h.hdr.Get("Authorization") != "Bearer abc" || h.hdr.Get("X-Team") != "ops" || h.hdr.Get("Evt-Family") != "sound" || h.hdr.Get("Evt-Event-Type") != "dog_bark" {
			t.Fatalf("headers %v", h.hdr)
		}
	}
	rc.checkSignatures(t)

	long := strings.Repeat("x*>", 1700)
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"headers": map[string]string{"Content-Type": "text/plain"}}, "headers[Content-Type]"},
		{map[string]any{"headers": map[string]string{"webhook-id": "x"}}, "headers[webhook-id]"},
		{map[string]any{"headers": map[string]string{"Evt-Family": "x"}}, "headers[Evt-Family]"},
		{map[string]any{"headers": map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}, "headers[traceparent]"},
		{map[string]any{"headers": map[string]string{"Tracestate": "a=b"}}, "headers[Tracestate]"},
		{map[string]any{"headers": map[string]string{"Bad Name": "x"}}, "headers[Bad Name]"},
		{map[string]any{"headers": map[string]string{"X-A": "a\r\nInjected: 1"}}, "headers[X-A]"},
		{map[string]any{"headers": map[string]string{"X-A": long}}, "headers[X-A]"},
		{map[string]any{"headers": map[string]string{long: "v"}}, "headers["},
		{map[string]any{"rate_limit": -1}, "rate_limit"},
		{map[string]any{"rate_limit": 1e9}, "rate_limit"},
		{map[string]any{"concurrency": 100000}, "concurrency"},
		{map[string]any{"concurrency": -1}, "concurrency"},
	} {
		r := e.Do("PATCH", "/api/v1/endpoints/"+ep.ID, servertest.AdminToken, "", c.body)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), c.field) {
			t.Errorf("%v: %d %s", c.body, r.Status, r.Body)
		}
	}
	// Bytes that are not UTF-8 (sent raw: a JSON encoder would replace them).
	for _, raw := range []string{`{"headers":{"X-A":"` + "\xff\xfe" + `"}}`, `{"headers":{"X-` + "\xff" + `":"v"}}`} {
		r := e.Do("PATCH", "/api/v1/endpoints/"+ep.ID, servertest.AdminToken, "application/json", raw)
		if r.Status != http.StatusBadRequest {
			t.Errorf("%q: %d %s", raw, r.Status, r.Body)
		}
	}
	// A PATCH changes them: headers replaced, the rate applied in place,
	// a new concurrency on a new worker.
	ep = e.patch(t, "/api/v1/endpoints/"+ep.ID, map[string]any{"headers": map[string]string{"X-Other": "1"}, "rate_limit": 1000, "concurrency": 4})
	if ep.RateLimit != 1000 || ep.Concurrency != 4 || len(ep.Headers) != 1 || ep.Headers["X-Other"] != "1" {
		t.Fatalf("patched %+v", ep)
	}
	e.ingestSound(t, "p", 10)
	testkit.Eventually(t, 20*time.Second, "40 deliveries", func() bool { return len(rc.byEvent()) == 40 })
	for _, h := range rc.snapshot() {
		if strings.HasPrefix(h.eventID, "p") && (h.hdr.Get("X-Other") != "1" || h.hdr.Get("X-Team") != "") {
			t.Fatalf("headers after the PATCH %v", h.hdr)
		}
	}
	// Not for WebSocket endpoints.
	r = e.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "ws", "type": "websocket", "rate_limit": 5})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "only for webhook endpoints") {
		t.Errorf("websocket with rate_limit: %d %s", r.Status, r.Body)
	}
}

// TestAutoDisableAndOperationalEvents: an endpoint failing for longer than
// webhooks.disable_after is disabled with a reason; the transitions are
// operational events in the tenant's log (once each), delivered to another
// endpoint that asks for them and never to the endpoint they are about;
// re-enabling resumes where it stopped.
func TestAutoDisableAndOperationalEvents(t *testing.T) {
	e := start(t, func(c *config.Config) {
		c.Webhooks.DisableAfter = 700 * time.Millisecond
		c.Webhooks.RetrySchedule = []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}
		c.Webhooks.BreakerFailures = 1000
	})
	bad := newReceiver(t)
	var healthy atomic.Bool
	bad.respond = func(hit, int) (int, http.Header) {
		if healthy.Load() {
			return http.StatusNoContent, nil
		}
		return http.StatusInternalServerError, nil
	}
	ops := newReceiver(t)
	failing := e.createWebhook(t, bad.srv.URL)
	watcher := e.createWebhook(t, ops.srv.URL)
	e.filter(t, map[string]any{"name": "ops", "endpoint_id": watcher.ID, "event_types": proto.OperationalTypes()})
	// The failing endpoint asks for operational events too: it must never
	// get those about itself.
	e.filter(t, map[string]any{"name": "all-sound", "endpoint_id": failing.ID})
	e.filter(t, map[string]any{"name": "ops-too", "endpoint_id": failing.ID, "event_types": proto.OperationalTypes()})

	e.ingestSound(t, "d", 1)
	testkit.Eventually(t, 10*time.Second, "delivery.exhausted", func() bool {
		return len(ofType(e.operational(t), proto.OpDeliveryExhausted, failing.ID)) == 1
	})
	ex := ofType(e.operational(t), proto.OpDeliveryExhausted, failing.ID)[0]
	if ex.Attempts != 3 || ex.EventFamily != proto.FamilySound || ex.EventType != "dog_bark" || ex.DeliveryID == "" || !strings.Contains(ex.Reason, "500") {
		t.Fatalf("delivery.exhausted %+v", ex)
	}
	// Failing since the first failure; more failures past disable_after
	// disable it.
	time.Sleep(800 * time.Millisecond)
	e.ingestSound(t, "e", 1)
	testkit.Eventually(t, 10*time.Second, "the endpoint disabled", func() bool {
		ep, _ := e.eps.Endpoint(failing.ID)
		return !ep.Enabled
	})
	ep, _ := e.eps.Endpoint(failing.ID)
	if !strings.Contains(ep.DisabledReason, "every delivery failed since") || ep.FailingSince == nil {
		t.Fatalf("endpoint %+v", ep)
	}
	testkit.Eventually(t, 10*time.Second, "endpoint.disabled", func() bool {
		return len(ofType(e.operational(t), proto.OpEndpointDisabled, failing.ID)) == 1
	})
	dis := ofType(e.operational(t), proto.OpEndpointDisabled, failing.ID)[0]
	if dis.Reason != ep.DisabledReason || dis.FailingSince == nil || !dis.FailingSince.Equal(*ep.FailingSince) {
		t.Fatalf("endpoint.disabled %+v, endpoint %+v", dis, ep)
	}
	// Events while disabled wait; re-enabled, it resumes with them.
	e.ingestSound(t, "w", 2)
	healthy.Store(true)
	ep = e.patch(t, "/api/v1/endpoints/"+failing.ID, map[string]any{"enabled": true})
	if ep.DisabledReason != "" || ep.FailingSince != nil {
		t.Fatalf("re-enabled %+v", ep)
	}
	testkit.Eventually(t, 10*time.Second, "the waiting events delivered", func() bool {
		got := bad.byEvent()
		return ok2xx(got["w0"]) && ok2xx(got["w1"])
	})
	testkit.Eventually(t, 10*time.Second, "endpoint.enabled", func() bool {
		return len(ofType(e.operational(t), proto.OpEndpointEnabled, failing.ID)) == 1
	})
	// The watcher received them all; the failing endpoint none about itself.
	testkit.Eventually(t, 10*time.Second, "operational deliveries to the watcher", func() bool {
		n := 0
		for _, h := range ops.snapshot() {
			if h.hdr.Get("Evt-Family") == "operational" {
				n++
			}
		}
		return n >= 3
	})
	for _, h := range ops.snapshot() {
		if h.hdr.Get("Evt-Family") != "operational" {
			t.Errorf("the watcher got a %s event", h.hdr.Get("Evt-Family"))
		}
	}
	for _, h := range bad.snapshot() {
		if strings.Contains(string(h.body), failing.ID) {
			t.Errorf("the failing endpoint got a report about itself: %s", h.body)
		}
	}
	// Each transition once, however many nodes or retries saw it.
	evs := e.operational(t)
	for _, typ := range []string{proto.OpEndpointDisabled, proto.OpEndpointEnabled, proto.OpDeliveryExhausted} {
		seen := map[string]bool{}
		for _, ev := range ofType(evs, typ, failing.ID) {
			if seen[ev.ID] {
				t.Errorf("%s twice: %s", typ, ev.ID)
			}
			seen[ev.ID] = true
		}
	}
}

func ok2xx(hs []hit) bool { return len(hs) > 0 }

// TestRecoveredAndBulkRetry: the first success after failures is an
// endpoint.recovered event; a bulk retry sends every failed delivery of a
// time range again.
func TestRecoveredAndBulkRetry(t *testing.T) {
	e := start(t, func(c *config.Config) {
		c.Webhooks.RetrySchedule = []time.Duration{50 * time.Millisecond}
		c.Webhooks.BreakerFailures = 1000
		c.Webhooks.DisableAfter = 5 * time.Second // failing is recorded after a tenth of it
	})
	rc := newReceiver(t)
	var healthy atomic.Bool
	rc.respond = func(hit, int) (int, http.Header) {
		if healthy.Load() {
			return http.StatusOK, nil
		}
		return http.StatusServiceUnavailable, nil
	}
	ep := e.createWebhook(t, rc.srv.URL)
	since := time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
	e.ingestSound(t, "f", 4)
	testkit.Eventually(t, 10*time.Second, "4 failed deliveries", func() bool {
		return len(e.deliveries(t, ep.ID, "&status=failed")) == 4
	})
	// Failures over less than a tenth of disable_after leave the endpoint
	// alone; one more after that marks it failing.
	if got, _ := e.eps.Endpoint(ep.ID); got.FailingSince != nil {
		t.Fatalf("failing since %v after a short run of failures", got.FailingSince)
	}
	time.Sleep(600 * time.Millisecond)
	e.ingestSound(t, "g", 1)
	testkit.Eventually(t, 10*time.Second, "5 failed deliveries", func() bool {
		return len(e.deliveries(t, ep.ID, "&status=failed")) == 5
	})
	testkit.Eventually(t, 5*time.Second, "failing_since", func() bool {
		got, _ := e.eps.Endpoint(ep.ID)
		return got.FailingSince != nil
	})
	for _, d := range e.deliveries(t, ep.ID, "&status=failed") {
		if !d.Exhausted {
			t.Fatalf("failed delivery not marked exhausted: %+v", d)
		}
	}
	healthy.Store(true)

	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"status": "bogus", "since": since}, "status"},
		{map[string]any{}, "since"},
		{map[string]any{"since": "yesterday"}, "since"},
		{map[string]any{"since": since, "until": "2000-01-01T00:00:00Z"}, "until"},
		{map[string]any{"since": strings.Repeat("\xff*", 2500)}, "since"},
	} {
		r := e.Do("POST", "/api/v1/endpoints/"+ep.ID+"/retry", servertest.AdminToken, "", c.body)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("%v: %d %s", c.body, r.Status, r.Body)
		}
	}
	// A range that ended before the failures retries nothing.
	r := e.Do("POST", "/api/v1/endpoints/"+ep.ID+"/retry", servertest.AdminToken, "", map[string]any{"since": "2020-01-01T00:00:00Z", "until": since})
	var res proto.ReplayResult
	r.JSON(t, &res)
	if r.Status != http.StatusAccepted || res.Queued != 0 {
		t.Fatalf("empty range: %d %s", r.Status, r.Body)
	}
	r = e.Do("POST", "/api/v1/endpoints/"+ep.ID+"/retry", servertest.AdminToken, "", map[string]any{"status": "exhausted", "since": since})
	r.JSON(t, &res)
	if r.Status != http.StatusAccepted || res.Queued != 5 || !strings.HasPrefix(res.RunID, "retry_") {
		t.Fatalf("bulk retry: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 10*time.Second, "5 succeeded deliveries", func() bool {
		return len(e.deliveries(t, ep.ID, "&status=succeeded")) == 5
	})
	for _, d := range e.deliveries(t, ep.ID, "&status=succeeded") {
		if d.Trigger != proto.TriggerRetry || d.Exhausted {
			t.Errorf("delivery %+v", d)
		}
	}
	testkit.Eventually(t, 10*time.Second, "endpoint.recovered", func() bool {
		return len(ofType(e.operational(t), proto.OpEndpointRecovered, ep.ID)) == 1
	})
	got, _ := e.eps.Endpoint(ep.ID)
	if got.FailingSince != nil {
		t.Fatalf("still failing since %v", got.FailingSince)
	}
	// Ingest refuses the family: only the gateway writes it.
	r = e.Do("POST", "/api/v1/events/operational", servertest.AdminToken, "", `{"id":"x","type":"endpoint.disabled","endpoint_id":"e"}`)
	if r.Status != http.StatusNotFound {
		t.Fatalf("ingesting an operational event: %d %s", r.Status, r.Body)
	}
}
