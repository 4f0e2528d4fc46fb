package openapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
)

// checker sends requests to a real gateway and checks each exchange
// against the document: the request body against the operation's
// requestBody schema, the status against its documented responses, the
// response's media type and body against that response's schema.
type checker struct {
	t *testing.T
	s spec
	h *servertest.Harness
}

func (c *checker) do(method, pattern, path, token string, body any) *servertest.Response {
	c.t.Helper()
	op, ok := c.s.operation(method, pattern)
	if !ok {
		c.t.Fatalf("%s %s is not in the document", method, pattern)
	}
	if body != nil {
		c.checkRequest(op, method, pattern, body)
	}
	r := c.h.Do(method, path, token, "", body)
	c.checkResponse(op, method+" "+path, r.Status, r.Header.Get("Content-Type"), r.Body)
	return r
}

// bad sends a body the server must reject, and which the document's
// request schema must reject too.
func (c *checker) bad(method, pattern, path, token string, body any) *servertest.Response {
	c.t.Helper()
	op := mustOp(c.t, c.s, method, pattern)
	rb := op["requestBody"].(map[string]any)
	schema := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	if len(c.s.validate(schema, roundTrip(c.t, body), "")) == 0 {
		c.t.Errorf("%s %s: the document's request schema accepts %s, which the test expects the server to refuse", method, pattern, short(body))
	}
	r := c.h.Do(method, path, token, "", body)
	if r.Status != 400 {
		c.t.Errorf("%s %s with %s: %d, want 400", method, path, short(body), r.Status)
	}
	c.checkResponse(op, method+" "+path, r.Status, r.Header.Get("Content-Type"), r.Body)
	return r
}

func (c *checker) checkRequest(op map[string]any, method, pattern string, body any) {
	c.t.Helper()
	rb, ok := op["requestBody"].(map[string]any)
	if !ok {
		c.t.Errorf("%s %s: a body was sent but the operation documents none", method, pattern)
		return
	}
	schema := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	for _, e := range c.s.validate(schema, roundTrip(c.t, body), method+" "+pattern+" request") {
		c.t.Error(e)
	}
}

func (c *checker) checkResponse(op map[string]any, name string, status int, ctype string, body []byte) {
	c.t.Helper()
	resp, err := c.s.response(op, status)
	if err != nil {
		c.t.Errorf("%s answered %d %s: %v", name, status, bytes.TrimSpace(body), err)
		return
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) > 0 {
			c.t.Errorf("%s answered %d with a body, documented without one", name, status)
		}
		return
	}
	mt, _, _ := mime.ParseMediaType(ctype)
	media, ok := content[mt].(map[string]any)
	if !ok {
		c.t.Errorf("%s answered %d as %q; documented: %v", name, status, ctype, keys(content))
		return
	}
	if mt != "application/json" {
		return
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		c.t.Errorf("%s: body is not JSON: %v", name, err)
		return
	}
	for _, e := range c.s.validate(media["schema"].(map[string]any), v, fmt.Sprintf("%s %d", name, status)) {
		c.t.Error(e)
	}
}

// covers fails unless body sets every member the request schema defines:
// the server must accept each documented member (its decoder rejects
// unknown ones).
func (c *checker) covers(schemaName string, body map[string]any) {
	c.t.Helper()
	props := mustSchema(c.t, c.s, schemaName)["properties"].(map[string]any)
	for p := range props {
		if _, ok := body[p]; !ok {
			c.t.Errorf("the test's %s body does not set documented member %q", schemaName, p)
		}
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func roundTrip(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func seedObject(t *testing.T, name string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(readSeed(t, name), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestResponsesMatchDocument drives every kind of route of a real gateway
// and checks each answer against the document.
func TestResponsesMatchDocument(t *testing.T) {
	s := loadSpec(t)
	// No retries: a refused webhook attempt finishes its delivery at once,
	// so the retry route can be exercised.
	// Loopback is allowed so that the webhook's URL passes the create-time
	// SSRF check; nothing listens on port 9, so its delivery fails.
	h := gateway(t, func(cfg *config.Config) {
		cfg.Webhooks.RetrySchedule = nil
		cfg.Webhooks.AllowCIDRs = []string{"127.0.0.0/8"}
	})
	c := &checker{t: t, s: s, h: h}
	admin := servertest.AdminToken

	// Operations.
	c.do("GET", "/healthz", "/healthz", "", nil)
	c.do("GET", "/readyz", "/readyz", "", nil)
	c.do("GET", "/metrics", "/metrics", "", nil)
	c.do("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", nil)

	// Keys.
	keyBody := map[string]any{"name": "doc reader", "owner": "acme", "scopes": []string{"events:read", "device:read"},
		"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
	c.covers("APIKeyCreate", keyBody)
	var key struct{ ID, Token string }
	c.do("POST", "/api/v1/keys", "/api/v1/keys", admin, keyBody).JSON(t, &key)
	c.bad("POST", "/api/v1/keys", "/api/v1/keys", admin, map[string]any{"name": "x", "scopes": []string{"root"}})
	c.do("GET", "/api/v1/keys", "/api/v1/keys?owner=acme", admin, nil)
	c.do("GET", "/api/v1/keys/{id}", "/api/v1/keys/"+key.ID, admin, nil)
	c.do("GET", "/api/v1/keys/{id}", "/api/v1/keys/nope", admin, nil)
	writer := h.NewKey("default", "events:write")
	c.do("GET", "/api/v1/keys", "/api/v1/keys", "", nil)     // 401
	c.do("GET", "/api/v1/keys", "/api/v1/keys", writer, nil) // 403

	// Endpoints, filters and rules (created before the events, so that the
	// webhook gets a delivery).
	hook := map[string]any{"name": "hook", "type": "webhook", "url": "http://127.0.0.1:9/hook",
		"secret": "whsec_" + strings.Repeat("A", 32), "enabled": true, "owner": "default",
		"rate_limit": 100, "concurrency": 4, "headers": map[string]string{"X-Team": "ops"}}
	c.covers("EndpointCreate", hook)
	var ep struct{ ID string }
	c.do("POST", "/api/v1/endpoints", "/api/v1/endpoints", admin, hook).JSON(t, &ep)
	c.do("POST", "/api/v1/endpoints", "/api/v1/endpoints", admin, map[string]any{"name": "bad", "type": "webhook"})
	var wsEp struct{ ID string }
	c.do("POST", "/api/v1/endpoints", "/api/v1/endpoints", admin, map[string]any{"name": "socket", "type": "websocket"}).JSON(t, &wsEp)
	c.do("GET", "/api/v1/endpoints", "/api/v1/endpoints?type=webhook&sort=-created_at&limit=1", admin, nil)
	c.do("GET", "/api/v1/endpoints", "/api/v1/endpoints?nope=1", admin, nil)
	c.do("GET", "/api/v1/endpoints/{id}", "/api/v1/endpoints/"+ep.ID, admin, nil)
	c.do("PATCH", "/api/v1/endpoints/{id}", "/api/v1/endpoints/"+ep.ID, admin, map[string]any{"name": "hook 2"})
	c.do("GET", "/api/v1/endpoints/{id}/secret", "/api/v1/endpoints/"+ep.ID+"/secret", admin, nil)
	c.do("POST", "/api/v1/endpoints/{id}/rotate-secret", "/api/v1/endpoints/"+ep.ID+"/rotate-secret", admin, map[string]any{})
	c.do("GET", "/api/v1/endpoints/{id}/secret", "/api/v1/endpoints/"+wsEp.ID+"/secret", admin, nil) // 404

	filterBody := map[string]any{"name": "entrance", "endpoint_id": ep.ID, "device_ids": []string{"mic_001"},
		"agent_ids": []string{"edge_001"}, "watchlist_ids": []string{}, "event_types": []string{"normal_speech_female"}, "where": "event.confidence >= 0.5"}
	c.covers("EventFilterCreate", filterBody)
	var flt struct{ ID string }
	c.do("POST", "/api/v1/event-filters", "/api/v1/event-filters", admin, filterBody).JSON(t, &flt)
	c.do("GET", "/api/v1/event-filters", "/api/v1/event-filters?endpoint_id="+ep.ID, admin, nil)
	c.do("GET", "/api/v1/event-filters/{id}", "/api/v1/event-filters/"+flt.ID, admin, nil)
	c.do("PATCH", "/api/v1/event-filters/{id}", "/api/v1/event-filters/"+flt.ID, admin, map[string]any{"name": "entrance 2"})

	ruleBody := map[string]any{"id": "rule_doc", "owner": "default", "name": "speech", "description": "d",
		"window_seconds": 30, "min_events": 3, "enabled": true, "group_by": "label_id",
		"include_label_ids": []string{"normal_speech_female"}, "include_mic_ids": []string{"mic_001"}, "cooldown_seconds": 10}
	c.covers("RuleCreate", ruleBody)
	c.do("POST", "/api/v1/rules", "/api/v1/rules", admin, ruleBody)
	c.do("POST", "/api/v1/rules", "/api/v1/rules", admin, ruleBody) // 409
	c.do("GET", "/api/v1/rules", "/api/v1/rules?sort=-updated_at", admin, nil)
	c.do("GET", "/api/v1/rules/{id}", "/api/v1/rules/rule_doc", admin, nil)
	c.bad("PATCH", "/api/v1/rules/{id}", "/api/v1/rules/rule_doc", admin, map[string]any{"min_events": 0})
	c.do("PATCH", "/api/v1/rules/{id}", "/api/v1/rules/rule_doc", admin, map[string]any{"min_events": 2})

	// Streams, opened before the events so they receive them.
	sse := openSSE(t, h.URL+"/api/v1/devices/analysis/stream/all", admin)
	c.checkResponse(mustOp(t, s, "GET", "/api/v1/devices/analysis/stream/all"), "SSE", sse.status, sse.ctype, nil)
	compWS := c.dial("/api/v1/ws/composite-events", "/api/v1/ws/composite-events", admin)
	if _, msg, err := compWS.ReadMessage(); err != nil || string(msg) != "hello" {
		t.Fatalf("composite WebSocket: first message %q, %v", msg, err)
	}
	epWS := c.dial("/event-service/ws", "/event-service/ws?endpoint_id="+wsEp.ID, "")
	c.do("GET", "/event-service/ws", "/event-service/ws?endpoint_id=nope", "", nil)
	c.do("GET", "/event-service/ws", "/event-service/ws", "", nil)
	c.do("GET", "/api/v1/ws/composite-events", "/api/v1/ws/composite-events?after=nope", admin, nil)
	c.do("GET", "/api/v1/devices/analysis/stream/all", "/api/v1/devices/analysis/stream/all?last_event_id=x", admin, nil)
	c.do("GET", "/api/v1/devices/{id}/analysis/stream", "/api/v1/devices/d1/analysis/stream?last_event_id=0", admin, nil)

	// Ingest and query.
	sound := seedObject(t, "sound_event.json")
	c.do("POST", "/api/v1/events/{family}", "/api/v1/events/sound", admin, sound)
	c.do("POST", "/api/v1/events/{family}", "/api/v1/events/sound", admin, []any{sound}) // duplicate
	c.bad("POST", "/api/v1/events/{family}", "/api/v1/events/sound", admin, map[string]any{"id": "x"})
	c.do("POST", "/api/v1/events/{family}", "/api/v1/events/video", admin, sound)
	c.do("POST", "/api/v1/events/{family}", "/api/v1/events/sound", "", sound)
	if r := h.Do("POST", "/api/v1/events/sound", admin, "text/plain", "{}"); r.Status != 415 {
		t.Errorf("text/plain ingest: %d", r.Status)
	} else {
		c.checkResponse(mustOp(t, s, "POST", "/api/v1/events/{family}"), "text/plain ingest", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	c.do("POST", "/api/v1/events/{family}", "/api/v1/events/analysis", admin, seedObject(t, "analysis_result.json"))
	c.do("POST", "/api/v1/events/{family}", "/api/v1/events/identification", admin, seedObject(t, "identification_webhook.json"))
	c.do("POST", "/api/v1/events/{family}", "/api/v1/events/composite", admin, seedObject(t, "composite_event.json"))

	var page struct {
		NextCursor string `json:"next_cursor"`
	}
	c.do("GET", "/api/v1/events", "/api/v1/events?limit=1", admin, nil).JSON(t, &page)
	if page.NextCursor == "" {
		t.Fatal("GET /api/v1/events?limit=1 has no next_cursor")
	}
	c.do("GET", "/api/v1/events", "/api/v1/events?after="+page.NextCursor+"&family=sound&since=2020-01-01T00:00:00Z", admin, nil)
	c.do("GET", "/api/v1/events", "/api/v1/events?device=mic_001", admin, nil)
	c.do("GET", "/api/v1/events", "/api/v1/events?after=abc", admin, nil)
	c.do("GET", "/api/v1/events", "/api/v1/events", writer, nil)
	c.do("GET", "/api/v1/composite-events", "/api/v1/composite-events", admin, nil)
	c.do("GET", "/api/v1/composite-events/{id}", "/api/v1/composite-events/composite_evt_123", admin, nil)
	c.do("GET", "/api/v1/composite-events/{id}", "/api/v1/composite-events/nope", admin, nil)

	// What the streams received.
	event, data := sse.next(t)
	c.checkStreamMessage("GET", "/api/v1/devices/analysis/stream/all", "200", "x-sse-events", event, data)
	_, msg, err := compWS.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	c.checkStreamMessage("GET", "/api/v1/ws/composite-events", "101", "x-websocket-message", "", msg)
	_, msg, err = epWS.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	c.checkStreamMessage("GET", "/event-service/ws", "101", "x-websocket-message", "", msg)

	// Deliveries: nothing listens at the webhook's target, and without
	// retries its delivery fails at once.
	deliveries := "/api/v1/endpoints/" + ep.ID + "/deliveries"
	var list struct {
		Items []struct{ ID, Status string }
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		h.Do("GET", deliveries, admin, "", nil).JSON(t, &list)
		if len(list.Items) > 0 && list.Items[0].Status == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed delivery appeared: %+v", list)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.do("GET", "/api/v1/endpoints/{id}/deliveries", deliveries+"?status=failed&limit=10", admin, nil)
	c.do("GET", "/api/v1/endpoints/{id}/deliveries", deliveries+"?status=lost", admin, nil)
	c.do("GET", "/api/v1/endpoints/{id}/deliveries/{delivery_id}", deliveries+"/"+list.Items[0].ID, admin, nil)
	c.do("GET", "/api/v1/endpoints/{id}/deliveries/{delivery_id}", deliveries+"/999999", admin, nil)
	c.do("POST", "/api/v1/endpoints/{id}/deliveries/{delivery_id}/retry", deliveries+"/"+list.Items[0].ID+"/retry", admin, nil)
	c.do("POST", "/api/v1/endpoints/{id}/deliveries/{delivery_id}/retry", deliveries+"/"+list.Items[0].ID+"/retry", admin, nil) // 409: pending
	replay := map[string]any{"since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "until": time.Now().Add(time.Minute).UTC().Format(time.RFC3339)}
	c.covers("ReplayRequest", replay)
	c.do("POST", "/api/v1/endpoints/{id}/replay", "/api/v1/endpoints/"+ep.ID+"/replay", admin, replay)
	c.bad("POST", "/api/v1/endpoints/{id}/replay", "/api/v1/endpoints/"+ep.ID+"/replay", admin, map[string]any{"until": "x"})
	bulk := map[string]any{"status": "failed", "since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "until": time.Now().Add(time.Minute).UTC().Format(time.RFC3339)}
	c.covers("RetryRequest", bulk)
	c.do("POST", "/api/v1/endpoints/{id}/retry", "/api/v1/endpoints/"+ep.ID+"/retry", admin, bulk)
	c.bad("POST", "/api/v1/endpoints/{id}/retry", "/api/v1/endpoints/"+ep.ID+"/retry", admin, map[string]any{"status": "x", "since": "2020-01-01T00:00:00Z"})
	c.do("POST", "/api/v1/event-filters", "/api/v1/event-filters", admin, map[string]any{"name": "x", "endpoint_id": ep.ID, "where": "event.x >"}) // 400

	// Deletions.
	c.do("DELETE", "/api/v1/event-filters/{id}", "/api/v1/event-filters/"+flt.ID, admin, nil)
	c.do("DELETE", "/api/v1/rules/{id}", "/api/v1/rules/rule_doc", admin, nil)
	c.do("DELETE", "/api/v1/endpoints/{id}", "/api/v1/endpoints/"+ep.ID, admin, nil)
	c.do("DELETE", "/api/v1/endpoints/{id}", "/api/v1/endpoints/"+ep.ID, admin, nil) // 404
	c.do("DELETE", "/api/v1/keys/{id}", "/api/v1/keys/"+key.ID, admin, nil)
	// 405 is documented once, as every operation's default response.
	r := h.Do("PUT", "/api/v1/keys/"+key.ID, admin, "", nil)
	c.checkResponse(mustOp(t, s, "GET", "/api/v1/keys/{id}"), "PUT /api/v1/keys/{id}", r.Status, r.Header.Get("Content-Type"), r.Body)
	if r.Status != 405 {
		t.Errorf("PUT /api/v1/keys/{id}: %d, want 405", r.Status)
	}
}

func mustOp(t *testing.T, s spec, method, pattern string) map[string]any {
	t.Helper()
	op, ok := s.operation(method, pattern)
	if !ok {
		t.Fatalf("%s %s is not documented", method, pattern)
	}
	return op
}

// checkStreamMessage validates one stream message against the schema the
// operation's response names in ext (x-sse-events by event name, or
// x-websocket-message).
func (c *checker) checkStreamMessage(method, pattern, status, ext, event string, data []byte) {
	c.t.Helper()
	resp, err := c.s.deref(mustOp(c.t, c.s, method, pattern)["responses"].(map[string]any)[status].(map[string]any))
	if err != nil {
		c.t.Fatal(err)
	}
	schema, _ := resp[ext].(map[string]any)
	if event != "" {
		schema, _ = schema[event].(map[string]any)
	}
	if schema == nil {
		c.t.Errorf("%s %s: no %s schema for %q", method, pattern, ext, event)
		return
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		c.t.Fatalf("%s %s: message %q: %v", method, pattern, data, err)
	}
	for _, e := range c.s.validate(schema, v, pattern+" message") {
		c.t.Error(e)
	}
}

// dial opens a WebSocket and checks the handshake's status is documented.
func (c *checker) dial(pattern, path, token string) *websocket.Conn {
	c.t.Helper()
	hdr := http.Header{}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(c.h.URL, "http")+path, hdr)
	if err != nil {
		c.t.Fatalf("dial %s: %v", path, err)
	}
	c.t.Cleanup(func() { conn.Close() })
	c.checkResponse(mustOp(c.t, c.s, "GET", pattern), "WebSocket "+path, resp.StatusCode, "", nil)
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	return conn
}

type sseStream struct {
	status int
	ctype  string
	r      *bufio.Reader
}

func openSSE(t *testing.T, url, token string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sseStream{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), r: bufio.NewReader(resp.Body)}
}

// next returns the next SSE event's name and data.
func (s *sseStream) next(t *testing.T) (string, []byte) {
	t.Helper()
	var event string
	var data []byte
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("SSE stream ended: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "" && data != nil:
			return event, data
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")...)
		}
	}
}
