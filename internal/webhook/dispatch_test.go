package webhook_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

func TestDeliversSignedEventsOfEveryFamily(t *testing.T) {
	e := start(t)
	rc := newReceiver(t)
	ep := e.createWebhook(t, rc.srv.URL+"/hook")
	rc.expect(ep.Secret)

	e.ingestSound(t, "s", 5)
	analysis := `{"deviceId":"cam-9","analysisId":"a1","timestamp":"2026-01-29T10:00:00Z","detections":[{"type":"person","confidence":0.92}]}`
	if r := e.Do("POST", "/api/v1/events/analysis", servertest.AdminToken, "", analysis); r.Status != 202 {
		t.Fatalf("ingest analysis: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 30*time.Second, "6 deliveries", func() bool { return len(rc.snapshot()) >= 6 })
	rc.checkSignatures(t)
	var sawAnalysis bool
	for _, h := range rc.snapshot() {
		if !strings.HasPrefix(h.id, "msg_"+ep.ID+"_") {
			t.Errorf("webhook-id %q does not name the endpoint and event", h.id)
		}
		if string(h.body) == analysis {
			sawAnalysis = true // the payload travels as ingested
		}
	}
	if !sawAnalysis {
		t.Errorf("analysis payload not delivered byte for byte")
	}
	testkit.Eventually(t, 30*time.Second, "6 succeeded records", func() bool {
		return len(e.deliveries(t, ep.ID, "&status=succeeded")) == 6
	})
	for _, d := range e.deliveries(t, ep.ID, "") {
		if d.Status != proto.DeliverySucceeded || d.Attempts != 1 || d.ResponseStatus != 204 || d.Trigger != proto.TriggerLive || d.LastAttemptAt == nil || d.NextAttemptAt != nil {
			t.Errorf("record %+v", d)
		}
	}
	// One delivery by id.
	d := e.deliveries(t, ep.ID, "")[0]
	r := e.Do("GET", "/api/v1/endpoints/"+ep.ID+"/deliveries/"+d.ID, servertest.AdminToken, "", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), d.WebhookID) {
		t.Fatalf("get delivery: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/v1/endpoints/"+ep.ID+"/deliveries/999999", servertest.AdminToken, "", nil); r.Status != 404 {
		t.Fatalf("unknown delivery: %d", r.Status)
	}
	if r := e.Do("GET", "/api/v1/endpoints/"+ep.ID+"/deliveries?status=nope", servertest.AdminToken, "", nil); r.Status != 400 {
		t.Fatalf("bad status filter: %d", r.Status)
	}
	// The errors of every list: a page token that is not the list's own,
	// an unknown parameter.
	for q, code := range map[string]string{"page_token=abc": proto.CodeInvalidCursor, "sort=created_at": proto.CodeValidationFailed} {
		if r := e.Do("GET", "/api/v1/endpoints/"+ep.ID+"/deliveries?"+q, servertest.AdminToken, "", nil); r.Status != 400 || !strings.Contains(string(r.Body), `"code":"`+code+`"`) {
			t.Fatalf("%s: %d %s", q, r.Status, r.Body)
		}
	}

	// ?since= lists only the records that changed from then on.
	mark := time.Now().UTC()
	e.ingestSound(t, "later", 2)
	testkit.Eventually(t, 30*time.Second, "8 succeeded records", func() bool {
		return len(e.deliveries(t, ep.ID, "&status=succeeded")) == 8
	})
	recent := e.deliveries(t, ep.ID, "&since="+mark.Format(time.RFC3339Nano))
	if len(recent) != 2 || recent[0].ReceivedAt.Before(mark) || recent[1].ReceivedAt.Before(mark) {
		t.Fatalf("deliveries since the mark: %+v, want the 2 later ones", recent)
	}
	if r := e.Do("GET", "/api/v1/endpoints/"+ep.ID+"/deliveries?since=yesterday", servertest.AdminToken, "", nil); r.Status != 400 || !strings.Contains(string(r.Body), "since") {
		t.Fatalf("bad since: %d %s", r.Status, r.Body)
	}
}

func TestFiltersSelectWebhookEvents(t *testing.T) {
	e := start(t)
	rc := newReceiver(t)
	ep := e.createWebhook(t, rc.srv.URL)
	rc.expect(ep.Secret)
	r := e.Do("POST", "/api/v1/event-filters", servertest.AdminToken, "", map[string]any{"name": "mic 2 only", "endpoint_id": ep.ID, "device_ids": []string{"mic_2"}})
	if r.Status != 201 {
		t.Fatalf("create filter: %d %s", r.Status, r.Body)
	}
	body := `{"id":"m1","created_at":"2026-03-26T09:00:00Z","label_id":"dog_bark","mic_id":"mic_1","confidence":0.9}` + "\n" +
		`{"id":"m2","created_at":"2026-03-26T09:00:00Z","label_id":"dog_bark","mic_id":"mic_2","confidence":0.9}` + "\n"
	if r := e.Do("POST", "/api/v1/events/sound", servertest.AdminToken, "application/x-ndjson", body); r.Status != 202 {
		t.Fatal(r.Status)
	}
	testkit.Eventually(t, 30*time.Second, "mic_2 delivery", func() bool { return len(rc.snapshot()) >= 1 })
	time.Sleep(300 * time.Millisecond)
	hits := rc.snapshot()
	if len(hits) != 1 || hits[0].eventID != "m2" {
		t.Fatalf("got %d hits, first %q; want only m2", len(hits), hits[0].eventID)
	}
}

// TestReceiverDownThenUp: the receiver's port refuses connections while
// events arrive, the breaker opens, then the receiver comes back on the
// same address: every event is delivered, none lost, one webhook-id each.
func TestReceiverDownThenUp(t *testing.T) {
	e := start(t, func(c *config.Config) {
		c.Webhooks.RetrySchedule = []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second, time.Second, time.Second}
		c.Webhooks.BreakerFailures = 3
		c.Webhooks.BreakerCooldown = 300 * time.Millisecond
	})
	rc := newReceiver(t)
	addr := rc.srv.Listener.Addr().String()
	ep := e.createWebhook(t, rc.srv.URL)
	rc.expect(ep.Secret)
	rc.srv.Close() // down

	const n = 200
	ids := e.ingestSound(t, "d", n)
	time.Sleep(1500 * time.Millisecond)
	failing := e.deliveries(t, ep.ID, "&status=pending")
	if len(failing) == 0 {
		t.Fatal("no pending deliveries while the receiver is down")
	}
	if failing[0].Attempts < 1 || failing[0].NextAttemptAt == nil || failing[0].Error == "" {
		t.Errorf("pending record lacks attempt state: %+v", failing[0])
	}

	newReceiverAt(t, rc, addr) // up again
	testkit.Eventually(t, 20*time.Second, "every event delivered", func() bool { return len(rc.byEvent()) == n })
	rc.checkSignatures(t)
	got := rc.byEvent()
	for _, id := range ids {
		hs := got[id]
		if len(hs) == 0 {
			t.Fatalf("event %s never delivered", id)
		}
		for _, h := range hs {
			if h.id != hs[0].id {
				t.Fatalf("event %s delivered with webhook-ids %q and %q", id, hs[0].id, h.id)
			}
		}
	}
	testkit.Eventually(t, 30*time.Second, "every record succeeded", func() bool {
		return len(e.deliveries(t, ep.ID, "&status=succeeded")) == n
	})
	retried := 0
	for _, d := range e.deliveries(t, ep.ID, "") {
		if d.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Fatal("no delivery needed a retry; the receiver was not down")
	}
}

// TestBreakerSparesDeadEndpoint: with a receiver that always answers 500,
// the breaker lets only a handful of requests through.
func TestBreakerSparesDeadEndpoint(t *testing.T) {
	e := start(t, func(c *config.Config) {
		c.Webhooks.RetrySchedule = nil // no retries: each event is one attempt
		c.Webhooks.BreakerFailures = 3
		c.Webhooks.BreakerCooldown = time.Hour
		c.Webhooks.Concurrency = 1
	})
	rc := newReceiver(t)
	rc.respond = func(hit, int) (int, http.Header) { return 500, nil }
	ep := e.createWebhook(t, rc.srv.URL)
	e.ingestSound(t, "b", 50)
	testkit.Eventually(t, 30*time.Second, "50 failed records", func() bool {
		n := len(e.deliveries(t, ep.ID, "&status=failed"))
		if n != 50 {
			t.Logf("%d failed records, %d requests, %d records", n, len(rc.snapshot()), len(e.deliveries(t, ep.ID, "")))
		}
		return n == 50
	})
	if n := len(rc.snapshot()); n != 3 {
		t.Fatalf("receiver got %d requests, want 3 (then the breaker opened)", n)
	}
	skipped := 0
	for _, d := range e.deliveries(t, ep.ID, "") {
		if strings.Contains(d.Error, "circuit breaker") {
			skipped++
		}
	}
	if skipped != 47 {
		t.Fatalf("%d deliveries skipped by the breaker, want 47", skipped)
	}
	m := e.Do("GET", "/metrics", "", "", nil)
	for _, want := range []string{`evtctl_webhook_attempts_total{outcome="breaker_open"} 47`, `evtctl_webhook_breaker_open{endpoint="` + ep.ID + `"} 1`, `evtctl_webhook_deliveries_total{outcome="failed"} 50`, "evtctl_webhook_queue_depth{endpoint=\"" + ep.ID + "\",state=\"new\"} 0"} {
		if !strings.Contains(string(m.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestConcurrencyLimit(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Webhooks.Concurrency = 3 })
	rc := newReceiver(t)
	rc.delay = 30 * time.Millisecond
	e.createWebhook(t, rc.srv.URL)
	e.ingestSound(t, "c", 40)
	testkit.Eventually(t, 30*time.Second, "40 deliveries", func() bool { return len(rc.snapshot()) == 40 })
	if m := rc.maxIn.Load(); m != 3 {
		t.Fatalf("max concurrent requests %d, want exactly the limit 3", m)
	}
}

func TestGoneDisablesEndpointAndKeepsEvents(t *testing.T) {
	e := start(t)
	rc := newReceiver(t)
	rc.respond = func(hit, int) (int, http.Header) { return http.StatusGone, nil }
	ep := e.createWebhook(t, rc.srv.URL)
	e.ingestSound(t, "g", 1)
	testkit.Eventually(t, 30*time.Second, "endpoint disabled", func() bool {
		cur, _ := e.eps.Endpoint(ep.ID)
		return !cur.Enabled
	})
	r := e.Do("GET", "/api/v1/endpoints/"+ep.ID, servertest.AdminToken, "", nil)
	var got proto.Endpoint
	r.JSON(t, &got)
	if got.Enabled || !strings.Contains(got.DisabledReason, "410") {
		t.Fatalf("endpoint after 410: %s", r.Body)
	}
	ds := e.deliveries(t, ep.ID, "")
	if len(ds) != 1 || ds[0].Status != proto.DeliveryFailed || ds[0].ResponseStatus != 410 || ds[0].Attempts != 1 {
		t.Fatalf("records after 410: %+v", ds)
	}
	// Events arriving while disabled stay in the log and are delivered
	// once the endpoint is enabled again.
	e.ingestSound(t, "later", 3)
	time.Sleep(300 * time.Millisecond)
	if n := len(rc.snapshot()); n != 1 {
		t.Fatalf("disabled endpoint got %d requests", n)
	}
	rc.mu.Lock()
	rc.respond = nil
	rc.mu.Unlock()
	if r := e.Do("PATCH", "/api/v1/endpoints/"+ep.ID, servertest.AdminToken, "", map[string]any{"enabled": true}); r.Status != 200 || strings.Contains(string(r.Body), "disabled_reason") {
		t.Fatalf("enable: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 30*time.Second, "backlog delivered", func() bool {
		be := rc.byEvent()
		return len(be["later0"]) > 0 && len(be["later1"]) > 0 && len(be["later2"]) > 0
	})
}

func TestRetryAfterIsHonoured(t *testing.T) {
	e := start(t) // schedule: 50ms first
	rc := newReceiver(t)
	rc.respond = func(_ hit, prior int) (int, http.Header) {
		if prior == 0 {
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}}
		}
		return 200, nil
	}
	ep := e.createWebhook(t, rc.srv.URL)
	rc.expect(ep.Secret)
	e.ingestSound(t, "r", 1)
	testkit.Eventually(t, 30*time.Second, "second attempt", func() bool { return len(rc.snapshot()) == 2 })
	hs := rc.snapshot()
	if gap := hs[1].at.Sub(hs[0].at); gap < 950*time.Millisecond {
		t.Fatalf("retried after %v despite Retry-After: 1", gap)
	}
	if hs[0].id != hs[1].id {
		t.Fatalf("webhook-id changed between attempts: %q, %q", hs[0].id, hs[1].id)
	}
	if hs[0].ts == hs[1].ts {
		t.Errorf("each attempt should be signed with its own timestamp")
	}
	rc.checkSignatures(t)
}

// A receiver slower than webhooks.timeout is a failed attempt (outcome
// timeout) that follows the retry schedule; the next, quick answer
// completes the delivery.
func TestSlowReceiverTimesOut(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Webhooks.Timeout = 200 * time.Millisecond })
	rc := newReceiver(t)
	rc.respond = func(_ hit, prior int) (int, http.Header) {
		if prior == 0 {
			time.Sleep(time.Second) // well past the timeout
		}
		return http.StatusNoContent, nil
	}
	ep := e.createWebhook(t, rc.srv.URL)
	rc.expect(ep.Secret)
	e.ingestSound(t, "slow", 1)
	testkit.Eventually(t, 30*time.Second, "a succeeded delivery", func() bool {
		return len(e.deliveries(t, ep.ID, "&status=succeeded")) == 1
	})
	d := e.deliveries(t, ep.ID, "")[0]
	if d.Attempts != 2 || d.ResponseStatus != http.StatusNoContent {
		t.Fatalf("record %+v, want 2 attempts ending in 204", d)
	}
	m := e.Do("GET", "/metrics", "", "", nil)
	for _, want := range []string{`evtctl_webhook_attempts_total{outcome="timeout"} 1`, `evtctl_webhook_attempts_total{outcome="success"} 1`} {
		if !strings.Contains(string(m.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestScheduleExhaustedThenManualRetry(t *testing.T) {
	e := start(t) // 3 retries: 4 attempts
	rc := newReceiver(t)
	rc.respond = func(hit, int) (int, http.Header) { return 500, nil }
	ep := e.createWebhook(t, rc.srv.URL)
	e.ingestSound(t, "x", 1)
	testkit.Eventually(t, 30*time.Second, "failed record", func() bool { return len(e.deliveries(t, ep.ID, "&status=failed")) == 1 })
	d := e.deliveries(t, ep.ID, "")[0]
	if d.Attempts != 4 || d.ResponseStatus != 500 || !strings.Contains(d.Error, "500") {
		t.Fatalf("failed record: %+v", d)
	}
	if n := len(rc.snapshot()); n != 4 {
		t.Fatalf("receiver got %d attempts, want 4", n)
	}
	rc.mu.Lock()
	rc.respond = nil
	rc.mu.Unlock()
	r := e.Do("POST", "/api/v1/endpoints/"+ep.ID+"/deliveries/"+d.ID+"/retry", servertest.AdminToken, "", nil)
	if r.Status != 202 {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 30*time.Second, "retried delivery succeeded", func() bool {
		return len(e.deliveries(t, ep.ID, "&status=succeeded")) == 1
	})
	d2 := e.deliveries(t, ep.ID, "")[0]
	if d2.Attempts != 5 || d2.Trigger != proto.TriggerRetry || d2.WebhookID != d.WebhookID {
		t.Fatalf("after retry: %+v", d2)
	}
	hs := rc.snapshot()
	if hs[len(hs)-1].id != d.WebhookID {
		t.Fatalf("manual retry used webhook-id %q, want %q", hs[len(hs)-1].id, d.WebhookID)
	}
	// A pending delivery cannot be retried by hand.
	rc.mu.Lock()
	rc.respond = func(hit, int) (int, http.Header) { return 500, nil }
	rc.mu.Unlock()
	e.ingestSound(t, "y", 1)
	testkit.Eventually(t, 30*time.Second, "pending record", func() bool { return len(e.deliveries(t, ep.ID, "&status=pending")) == 1 })
	p := e.deliveries(t, ep.ID, "&status=pending")[0]
	if r := e.Do("POST", "/api/v1/endpoints/"+ep.ID+"/deliveries/"+p.ID+"/retry", servertest.AdminToken, "", nil); r.Status != 409 {
		t.Fatalf("retry of pending: %d %s", r.Status, r.Body)
	}
}

func TestReplayResendsRange(t *testing.T) {
	e := start(t)
	rc := newReceiver(t)
	ep := e.createWebhook(t, rc.srv.URL)
	rc.expect(ep.Secret)
	before := time.Now().Add(-time.Second)
	e.ingestSound(t, "p", 10)
	testkit.Eventually(t, 30*time.Second, "10 deliveries", func() bool { return len(rc.snapshot()) == 10 })
	first := map[string]string{}
	for _, h := range rc.snapshot() {
		first[h.eventID] = h.id
	}
	r := e.Do("POST", "/api/v1/endpoints/"+ep.ID+"/replay", servertest.AdminToken, "", map[string]any{"since": before.UTC().Format(time.RFC3339Nano)})
	if r.Status != 202 {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	var res proto.ReplayResult
	if err := json.Unmarshal(r.Body, &res); err != nil || res.Queued != 10 || res.RunID == "" {
		t.Fatalf("replay result %s", r.Body)
	}
	testkit.Eventually(t, 30*time.Second, "20 deliveries", func() bool { return len(rc.snapshot()) == 20 })
	for _, h := range rc.snapshot()[10:] {
		if first[h.eventID] != h.id {
			t.Fatalf("replay of %s used webhook-id %q, first delivery %q", h.eventID, h.id, first[h.eventID])
		}
	}
	rc.checkSignatures(t)
	testkit.Eventually(t, 30*time.Second, "replay records", func() bool {
		n := 0
		for _, d := range e.deliveries(t, ep.ID, "&status=succeeded") {
			if d.Trigger == proto.TriggerReplay && d.Attempts == 2 {
				n++
			}
		}
		return n == 10
	})
	// Bad requests.
	for _, body := range []string{`{}`, `{"since":"yesterday"}`, `{"since":"2026-01-02T00:00:00Z","until":"2026-01-01T00:00:00Z"}`, `{"since":"2026-01-01T00:00:00Z","extra":1}`} {
		if r := e.Do("POST", "/api/v1/endpoints/"+ep.ID+"/replay", servertest.AdminToken, "", body); r.Status != 400 || !strings.Contains(string(r.Body), `"code":"validation_failed"`) {
			t.Errorf("replay %s: %d %s", body, r.Status, r.Body)
		}
	}
}

func TestSecretRotationSignsWithBoth(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Webhooks.SecretGrace = time.Hour })
	rc := newReceiver(t)
	ep := e.createWebhook(t, rc.srv.URL)
	old := ep.Secret
	r := e.Do("POST", "/api/v1/endpoints/"+ep.ID+"/rotate-secret", servertest.AdminToken, "", nil)
	if r.Status != 200 {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	var sec struct{ Secret string }
	r.JSON(t, &sec)
	if sec.Secret == old || !strings.HasPrefix(sec.Secret, "whsec_") {
		t.Fatalf("rotated secret %q", sec.Secret)
	}
	rc.expect(old, sec.Secret) // both must verify during the grace period
	e.ingestSound(t, "k", 2)
	testkit.Eventually(t, 30*time.Second, "2 deliveries", func() bool { return len(rc.snapshot()) == 2 })
	rc.checkSignatures(t)
	if n := len(strings.Fields(rc.snapshot()[0].sig)); n != 2 {
		t.Fatalf("%d signatures during grace, want 2", n)
	}
	// PATCH with a secret rotates too; with grace 1h the first old one is
	// still valid, so three secrets sign.
	third := "whsec_" + strings.Repeat("QUJD", 8)
	if r := e.Do("PATCH", "/api/v1/endpoints/"+ep.ID, servertest.AdminToken, "", map[string]any{"secret": third}); r.Status != 200 {
		t.Fatalf("patch secret: %d %s", r.Status, r.Body)
	}
	rc.expect(old, sec.Secret, third)
	e.ingestSound(t, "k2", 1)
	testkit.Eventually(t, 30*time.Second, "3rd delivery", func() bool { return len(rc.snapshot()) == 3 })
	rc.checkSignatures(t)
}

func TestRotationWithoutGraceSignsOnce(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Webhooks.SecretGrace = 0 })
	rc := newReceiver(t)
	ep := e.createWebhook(t, rc.srv.URL)
	r := e.Do("POST", "/api/v1/endpoints/"+ep.ID+"/rotate-secret", servertest.AdminToken, "", map[string]string{"secret": "whsec_" + strings.Repeat("QUJD", 8)})
	if r.Status != 200 {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	rc.expect("whsec_" + strings.Repeat("QUJD", 8))
	e.ingestSound(t, "z", 1)
	testkit.Eventually(t, 30*time.Second, "delivery", func() bool { return len(rc.snapshot()) == 1 })
	rc.checkSignatures(t)
	if sig := rc.snapshot()[0].sig; verify(ep.Secret, rc.snapshot()[0].id, rc.snapshot()[0].ts, rc.snapshot()[0].body, sig) {
		t.Fatal("the old secret still verifies without a grace period")
	}
}

// Targets the create-time check refuses are also refused when connecting:
// these endpoints are stored as an older gateway would have accepted them.
func TestSSRFTargetsRefused(t *testing.T) {
	cases := []struct {
		name  string
		allow []string
		url   func(rc *receiver) string
		why   string
	}{
		{"loopback not allowed", nil, func(rc *receiver) string { return rc.srv.URL }, "loopback"},
		{"localhost resolves to loopback", nil, func(rc *receiver) string { return strings.Replace(rc.srv.URL, "127.0.0.1", "localhost", 1) }, "loopback"},
		{"metadata even with loopback allowed", []string{"127.0.0.0/8"}, func(*receiver) string { return "http://169.254.169.254/latest/meta-data/" }, "metadata"},
		{"private range", []string{"127.0.0.0/8"}, func(*receiver) string { return "http://10.1.2.3:9/" }, "private"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := start(t, func(cfg *config.Config) {
				cfg.Webhooks.AllowCIDRs = c.allow
				cfg.Webhooks.RetrySchedule = nil
			})
			rc := newReceiver(t)
			if r := e.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "hook", "type": "webhook", "url": c.url(rc)}); r.Status != 400 || !strings.Contains(string(r.Body), `"field":"url"`) {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			ep := e.storeWebhook(t, c.url(rc))
			e.ingestSound(t, "s", 1)
			testkit.Eventually(t, 30*time.Second, "failed record", func() bool { return len(e.deliveries(t, ep.ID, "&status=failed")) == 1 })
			d := e.deliveries(t, ep.ID, "")[0]
			if !strings.Contains(d.Error, "refused to connect") || !strings.Contains(d.Error, c.why) || d.ResponseStatus != 0 {
				t.Fatalf("record: %+v", d)
			}
			if n := len(rc.snapshot()); n != 0 {
				t.Fatalf("receiver was reached %d times", n)
			}
		})
	}
}

func TestDeliveriesAPIErrors(t *testing.T) {
	e := start(t)
	r := e.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "ws", "type": "websocket"})
	var ws proto.Endpoint
	r.JSON(t, &ws)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/v1/endpoints/nope/deliveries", 404},
		{"GET", "/api/v1/endpoints/" + ws.ID + "/deliveries", 404},
		{"POST", "/api/v1/endpoints/nope/replay", 404},
		{"POST", "/api/v1/endpoints/nope/deliveries/1/retry", 404},
	} {
		r := e.Do(c.method, c.path, servertest.AdminToken, "", `{"since":"2026-01-01T00:00:00Z"}`)
		if r.Status != c.status || !strings.Contains(string(r.Body), `"error":{"code":`) {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	reader := e.NewKey("default", proto.ScopeEventsRead)
	if r := e.Do("GET", "/api/v1/endpoints/x/deliveries", reader, "", nil); r.Status != 403 {
		t.Errorf("non-admin: %d", r.Status)
	}
}
