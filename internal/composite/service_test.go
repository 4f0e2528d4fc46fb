package composite

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/stream"
	"github.com/evtctl/evtctl/pkg/proto"
)

// gateway starts a full server with the composite component and the
// streams, as `evtctl serve` does.
func gateway(t *testing.T, cfg *config.Config) *servertest.Harness {
	t.Helper()
	h, _ := gatewayService(t, cfg)
	return h
}

func gatewayService(t *testing.T, cfg *config.Config) (*servertest.Harness, *Service) {
	t.Helper()
	var svc *Service
	h := servertest.Start(t, cfg, func(ctx context.Context, g server.Handles) ([]component.Component, error) {
		eps, err := endpoint.New(ctx, g.Env, g.Config.Webhooks, g.Config.Limits)
		if err != nil {
			return nil, err
		}
		if svc, err = New(ctx, g.Env, g.Config.Composite, g.Config.Limits, g.Log); err != nil {
			return nil, err
		}
		streams, err := stream.New(ctx, g.Env, stream.ConfigOf(g.Config), g.Log, g.Keys, eps)
		return []component.Component{eps, svc, streams}, err
	})
	return h, svc
}

// caughtUp waits until the engine has processed every stored event, so a
// rule change that follows is "after" them.
func caughtUp(t *testing.T, h *servertest.Harness, svc *Service) {
	t.Helper()
	st, err := h.Server.Log().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for svc.Processed() < st.LastSeq {
		if time.Now().After(deadline) {
			t.Fatalf("engine at %d, log at %d", svc.Processed(), st.LastSeq)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testConfig(t *testing.T) *config.Config {
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.Name = "edge-01"
	cfg.Server.AdminToken = servertest.AdminToken
	cfg.Storage.DataDir = t.TempDir()
	cfg.Log.Level = "error"
	return cfg
}

func createRule(t *testing.T, h *servertest.Harness, body map[string]any) proto.Rule {
	t.Helper()
	r := h.Do("POST", "/api/v1/rules", servertest.AdminToken, "", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create rule: %d %s", r.Status, r.Body)
	}
	var rule proto.Rule
	r.JSON(t, &rule)
	return rule
}

func docRuleBody(owner string) map[string]any {
	r := docRule()
	return map[string]any{"id": r.ID, "owner": owner, "name": r.Name, "description": r.Description,
		"window_seconds": r.WindowSeconds, "min_events": r.MinEvents, "group_by": r.GroupBy,
		"include_label_ids": r.IncludeLabelIDs, "include_mic_ids": r.IncludeMicIDs}
}

func ingestSound(t *testing.T, h *servertest.Harness, token, id string, created time.Time) {
	t.Helper()
	r := h.Do("POST", "/api/v1/events/sound", token, "", SeedSound(t, id, created))
	if r.Status != http.StatusAccepted {
		t.Fatalf("ingest %s: %d %s", id, r.Status, r.Body)
	}
}

// composites lists the tenant's stored composites.
func composites(t *testing.T, h *servertest.Harness, token string) []json.RawMessage {
	t.Helper()
	r := h.Do("GET", "/api/v1/composite-events", token, "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list composites: %d %s", r.Status, r.Body)
	}
	var page struct{ Items []json.RawMessage }
	r.JSON(t, &page)
	return page.Items
}

// waitComposites polls until the tenant has n composites.
func waitComposites(t *testing.T, h *servertest.Harness, token string, n int) []json.RawMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		items := composites(t, h, token)
		if len(items) == n {
			return items
		}
		if len(items) > n || time.Now().After(deadline) {
			t.Fatalf("%d composites, want %d: %s", len(items), n, items)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventIDs returns the ids of a composite's events.
func eventIDs(t *testing.T, payload []byte) string {
	t.Helper()
	var c struct{ Events []struct{ ID string } }
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(c.Events))
	for i, e := range c.Events {
		ids[i] = e.ID
	}
	return strings.Join(ids, " ")
}

func payloadID(t *testing.T, payload []byte) string {
	var c struct{ ID string }
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// The edge audio box end to end: the seed sound event ingested three times
// within 30 s reaches the composite WebSocket and the get-one API as the
// seed composite, field by field.
func TestEndToEndDocument000(t *testing.T) {
	h := gateway(t, testConfig(t))
	createRule(t, h, docRuleBody("acme"))
	writer := h.NewKey("acme", proto.ScopeEventsWrite)
	reader := h.NewKey("acme", proto.ScopeEventsRead)

	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.URL, "http")+"/api/v1/ws/composite-events",
		http.Header{"Authorization": {"Bearer " + reader}})
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	defer ws.Close()
	read := func() string {
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, m, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return string(m)
	}
	if m := read(); m != "hello" {
		t.Fatalf("first message %q, want hello", m)
	}

	for i, off := range []time.Duration{0, 10 * time.Second, 29 * time.Second} {
		ingestSound(t, h, writer, fmt.Sprintf("evt_%03d", i+1), t0.Add(off))
	}
	var streamed string
	for streamed == "" {
		streamed = read() // skip keep-alives
	}
	CompareWithDocument(t, []byte(streamed))
	if got := eventIDs(t, []byte(streamed)); got != "evt_001 evt_002 evt_003" {
		t.Fatalf("events %s", got)
	}

	id := payloadID(t, []byte(streamed))
	r := h.Do("GET", "/api/v1/composite-events/"+id, reader, "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get composite: %d %s", r.Status, r.Body)
	}
	if got := strings.TrimSpace(string(r.Body)); got != streamed {
		t.Fatalf("get-one differs from the stream:\n%s\n%s", got, streamed)
	}
	CompareWithDocument(t, r.Body)

	// Another tenant's rule does not see acme's events.
	if r := h.Do("GET", "/api/v1/composite-events/"+id, h.NewKey("other", proto.ScopeEventsRead), "", nil); r.Status != http.StatusNotFound {
		t.Fatalf("other tenant: %d", r.Status)
	}
	metrics := string(h.Do("GET", "/metrics", "", "", nil).Body)
	for _, want := range []string{"evtctl_composite_emitted_total 1", "evtctl_composite_active_groups 1", "evtctl_composite_late_events_total 0"} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
}

// A restart in the middle of a window loses nothing and repeats nothing:
// the rebuilt engine completes the open window, and the composite stored
// before the restart is not stored again.
func TestRestartMidWindow(t *testing.T) {
	cfg := testConfig(t)
	h := gateway(t, cfg)
	createRule(t, h, docRuleBody("acme"))
	writer := h.NewKey("acme", proto.ScopeEventsWrite)
	reader := h.NewKey("acme", proto.ScopeEventsRead)
	for i := range 5 { // evt_001..003 complete one composite; 004 and 005 stay open
		ingestSound(t, h, writer, fmt.Sprintf("evt_%03d", i+1), t0.Add(time.Duration(i)*time.Second))
	}
	first := waitComposites(t, h, reader, 1)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	h, svc := gatewayService(t, cfg) // same data directory
	if items := composites(t, h, reader); len(items) != 1 || string(items[0]) != string(first[0]) {
		t.Fatalf("after restart: %s", items)
	}
	ingestSound(t, h, writer, "evt_006", t0.Add(20*time.Second))
	items := waitComposites(t, h, reader, 2)
	if got := eventIDs(t, items[1]); got != "evt_004 evt_005 evt_006" {
		t.Fatalf("second composite has %s", got)
	}
	// Nothing more arrives (e.g. a re-derived duplicate): a 7th event alone
	// makes no composite, and the count stays.
	ingestSound(t, h, writer, "evt_007", t0.Add(21*time.Second))
	caughtUp(t, h, svc)
	time.Sleep(50 * time.Millisecond) // a composite would be queued by now; let it be stored
	if n := len(composites(t, h, reader)); n != 2 {
		t.Fatalf("%d composites", n)
	}
}

// Changing a rule through the API applies to new events at once; disabling
// it stops it, and its events while disabled are not used later, not even
// by the windows a restart rebuilds from the log.
func TestRuleChangeAndDisable(t *testing.T) {
	cfg := testConfig(t)
	h, svc := gatewayService(t, cfg)
	rule := createRule(t, h, docRuleBody("acme"))
	writer := h.NewKey("acme", proto.ScopeEventsWrite)
	reader := h.NewKey("acme", proto.ScopeEventsRead)
	patch := func(body map[string]any) {
		t.Helper()
		if r := h.Do("PATCH", "/api/v1/rules/"+rule.ID, servertest.AdminToken, "", body); r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
	}
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

	patch(map[string]any{"min_events": 2})
	ingestSound(t, h, writer, "a1", at(0))
	ingestSound(t, h, writer, "a2", at(1))
	items := waitComposites(t, h, reader, 1)
	if got := eventIDs(t, items[0]); got != "a1 a2" {
		t.Fatalf("after min_events 2: %s", got)
	}

	patch(map[string]any{"enabled": false})
	ingestSound(t, h, writer, "d1", at(2))
	ingestSound(t, h, writer, "d2", at(3))
	caughtUp(t, h, svc) // a change applies to the events processed after it
	patch(map[string]any{"enabled": true})
	ingestSound(t, h, writer, "b1", at(4))
	ingestSound(t, h, writer, "b2", at(5))
	items = waitComposites(t, h, reader, 2)
	if got := eventIDs(t, items[1]); got != "b1 b2" {
		t.Fatalf("events of the disabled period were used: %s", got)
	}
	var c struct{ Rule proto.CompositeRule }
	_ = json.Unmarshal(items[1], &c)
	if c.Rule.MinEvents != 2 || !c.Rule.Enabled {
		t.Fatalf("rule snapshot %+v", c.Rule)
	}

	// Deleting the rule stops it; then a new rule starts from new events.
	if r := h.Do("DELETE", "/api/v1/rules/"+rule.ID, servertest.AdminToken, "", nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	ingestSound(t, h, writer, "x1", at(6))
	ingestSound(t, h, writer, "x2", at(7))
	caughtUp(t, h, svc)
	body := docRuleBody("acme")
	body["id"], body["min_events"] = "rule_002", 1
	createRule(t, h, body)
	ingestSound(t, h, writer, "c1", at(8))
	items = waitComposites(t, h, reader, 3)
	if got := eventIDs(t, items[2]); got != "c1" {
		t.Fatalf("after delete and create: %s", got)
	}

	// A restart replays the log into the rules as they are now; each rule
	// still ignores what it received before it counted (d1 and d2 for the
	// first, everything before c1 for rule_002, which takes single events):
	// no composite appears that the running node did not make.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	h, svc = gatewayService(t, cfg) // same data directory
	reader = h.NewKey("acme", proto.ScopeEventsRead)
	// An event of a tenant without rules moves the engine past the rebuild.
	ingestSound(t, h, h.NewKey("globex", proto.ScopeEventsWrite), "g1", at(9))
	caughtUp(t, h, svc)
	time.Sleep(50 * time.Millisecond) // a re-derived composite would be queued by now
	if items := composites(t, h, reader); len(items) != 3 {
		t.Fatalf("after the restart %d composites, want the 3 made live", len(items))
	}
}

// Composites derived but never stored (here: the node ran with derivation
// off, as after a crash between the events and their composite) are stored
// by the next start's rebuild.
func TestRebuildStoresMissingComposites(t *testing.T) {
	cfg := testConfig(t)
	cfg.Composite.Enabled = false
	h := gateway(t, cfg)
	createRule(t, h, docRuleBody("acme"))
	writer := h.NewKey("acme", proto.ScopeEventsWrite)
	reader := h.NewKey("acme", proto.ScopeEventsRead)
	for i := range 3 {
		ingestSound(t, h, writer, fmt.Sprintf("evt_%03d", i+1), t0.Add(time.Duration(i)*time.Second))
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(composites(t, h, reader)); n != 0 {
		t.Fatalf("derivation disabled, yet %d composites", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	cfg.Composite.Enabled = true
	h = gateway(t, cfg)
	items := waitComposites(t, h, reader, 1)
	if got := eventIDs(t, items[0]); got != "evt_001 evt_002 evt_003" {
		t.Fatalf("rebuilt composite has %s", got)
	}
}
