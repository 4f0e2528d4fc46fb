package endpoint_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

const admin = servertest.AdminToken

func start(t *testing.T) (*servertest.Harness, *endpoint.Service) {
	t.Helper()
	return run(t, func(c *config.Config) { c.Webhooks.SecretGrace = time.Hour })
}

// run starts a gateway with the endpoints component, which it returns.
func run(t *testing.T, opts ...servertest.Option) (*servertest.Harness, *endpoint.Service) {
	t.Helper()
	var eps *endpoint.Service
	h := servertest.Run(t, func(ctx context.Context, g server.Handles) ([]component.Component, error) {
		var err error
		eps, err = endpoint.New(ctx, g.Env, g.Config.Webhooks, g.Config.Limits)
		return []component.Component{eps}, err
	}, opts...)
	return h, eps
}

func create(t *testing.T, h *servertest.Harness, path string, body any) map[string]any {
	t.Helper()
	r := h.Do("POST", path, admin, "", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", path, r.Status, r.Body)
	}
	var m map[string]any
	r.JSON(t, &m)
	return m
}

func list(t *testing.T, h *servertest.Harness, path string) ([]string, string) {
	t.Helper()
	r := h.Do("GET", path, admin, "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	var page struct {
		Items []struct {
			ID     string `json:"id"`
			Secret string `json:"secret"`
		} `json:"items"`
		Next string `json:"next_page_token"`
	}
	r.JSON(t, &page)
	ids := []string{}
	for _, it := range page.Items {
		if it.Secret != "" {
			t.Fatalf("list shows a secret: %s", r.Body)
		}
		ids = append(ids, it.ID)
	}
	return ids, page.Next
}

func TestEndpointLifecycle(t *testing.T) {
	h, eps := start(t)
	wh := create(t, h, "/api/v1/endpoints", map[string]any{"name": "crm", "type": "webhook", "url": "https://hooks.example.com/in"})
	id := wh["id"].(string)
	if !strings.HasPrefix(wh["secret"].(string), "whsec_") || wh["enabled"] != true || wh["owner"] != "default" || wh["created_at"] == nil || wh["updated_at"] == nil {
		t.Fatalf("created: %v", wh)
	}
	if len(id) != 36 {
		t.Fatalf("id %q is not a UUID", id)
	}
	ws := create(t, h, "/api/v1/endpoints", map[string]any{"name": "wall", "type": "websocket", "enabled": false, "owner": "acme"})
	if _, has := ws["secret"]; has || ws["owner"] != "acme" || ws["enabled"] != false {
		t.Fatalf("websocket endpoint: %v", ws)
	}

	r := h.Do("GET", "/api/v1/endpoints/"+id, admin, "", nil)
	if r.Status != 200 || strings.Contains(string(r.Body), "whsec_") {
		t.Fatalf("get shows the secret or fails: %d %s", r.Status, r.Body)
	}
	r = h.Do("GET", "/api/v1/endpoints/"+id+"/secret", admin, "", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), wh["secret"].(string)) {
		t.Fatalf("secret: %d %s", r.Status, r.Body)
	}

	time.Sleep(2 * time.Millisecond)
	r = h.Do("PATCH", "/api/v1/endpoints/"+id, admin, "", map[string]any{"name": "crm2", "url": "http://hooks.example.com/v2", "enabled": false})
	var got proto.Endpoint
	r.JSON(t, &got)
	if r.Status != 200 || got.Name != "crm2" || got.URL != "http://hooks.example.com/v2" || got.Enabled || !got.UpdatedAt.After(got.CreatedAt) {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}

	// Rotation keeps the old secret signing during the grace period.
	r = h.Do("POST", "/api/v1/endpoints/"+id+"/rotate-secret", admin, "", nil)
	var sec struct{ Secret string }
	r.JSON(t, &sec)
	signing := eps.Store().SigningSecrets(id, time.Now())
	if r.Status != 200 || len(signing) != 2 || signing[0] != sec.Secret || signing[1] != wh["secret"] {
		t.Fatalf("after rotation: %d %s, signing %v", r.Status, r.Body, signing)
	}
	if s := eps.Store().SigningSecrets(id, time.Now().Add(2*time.Hour)); len(s) != 1 {
		t.Fatalf("old secret still signs after the grace period: %v", s)
	}

	// A filter goes away with its endpoint.
	f := create(t, h, "/api/v1/event-filters", map[string]any{"name": "f", "endpoint_id": id})
	if r := h.Do("DELETE", "/api/v1/endpoints/"+id, admin, "", nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	for _, p := range []string{"/api/v1/endpoints/" + id, "/api/v1/event-filters/" + f["id"].(string)} {
		if r := h.Do("GET", p, admin, "", nil); r.Status != 404 || !strings.Contains(string(r.Body), `"code":"not_found"`) {
			t.Fatalf("GET %s after delete: %d %s", p, r.Status, r.Body)
		}
	}
	if r := h.Do("DELETE", "/api/v1/endpoints/"+id, admin, "", nil); r.Status != 404 {
		t.Fatalf("second delete: %d", r.Status)
	}
}

func TestEndpointValidation(t *testing.T) {
	h, _ := start(t)
	ws := create(t, h, "/api/v1/endpoints", map[string]any{"name": "w", "type": "websocket"})
	wh := create(t, h, "/api/v1/endpoints", map[string]any{"name": "h", "type": "webhook", "url": "http://x.example/"})
	cases := []struct {
		method, path string
		body         string
		field        string
	}{
		{"POST", "/api/v1/endpoints", `{"type":"webhook","url":"https://a.example"}`, "name"},
		{"POST", "/api/v1/endpoints", `{"name":"  ","type":"websocket"}`, "name"},
		{"POST", "/api/v1/endpoints", `{"name":"x"}`, "type"},
		{"POST", "/api/v1/endpoints", `{"name":"x","type":"email"}`, "type"},
		{"POST", "/api/v1/endpoints", `{"name":"x","type":"webhook"}`, "url"},
		{"POST", "/api/v1/endpoints", `{"name":"x","type":"webhook","url":"ftp://a.example/"}`, "url"},
		{"POST", "/api/v1/endpoints", `{"name":"x","type":"webhook","url":"/relative"}`, "url"},
		{"POST", "/api/v1/endpoints", `{"name":"x","type":"webhook","url":"https://a.example","secret":"abc"}`, "secret"},
		{"POST", "/api/v1/endpoints", `{"name":"x","type":"webhook","url":"https://a.example","secret":"whsec_c2hvcnQ="}`, "secret"},
		{"POST", "/api/v1/endpoints", `{"name":"x","type":"websocket","url":"https://a.example"}`, "url"},
		{"POST", "/api/v1/endpoints", `{"name":"x","type":"websocket","colour":"red"}`, "colour"},
		{"POST", "/api/v1/endpoints", `{"name":"x","type":"websocket","enabled":"yes"}`, "enabled"},
		{"PATCH", "/api/v1/endpoints/" + ws["id"].(string), `{"type":"webhook"}`, "type"},
		{"PATCH", "/api/v1/endpoints/" + ws["id"].(string), `{"url":"https://a.example"}`, "url"},
		{"PATCH", "/api/v1/endpoints/" + wh["id"].(string), `{"owner":"other"}`, "owner"},
		{"PATCH", "/api/v1/endpoints/" + wh["id"].(string), `{"url":"gopher://x"}`, "url"},
		{"POST", "/api/v1/endpoints/" + wh["id"].(string) + "/rotate-secret", `{"secret":"whsec_!!"}`, "secret"},
		{"POST", "/api/v1/event-filters", `{"name":"f"}`, "endpoint_id"},
		{"POST", "/api/v1/event-filters", `{"name":"f","endpoint_id":"nope"}`, "endpoint_id"},
		{"POST", "/api/v1/event-filters", `{"endpoint_id":"` + ws["id"].(string) + `"}`, "name"},
		{"POST", "/api/v1/event-filters", `{"name":"f","endpoint_id":"` + ws["id"].(string) + `","device_ids":["a",""]}`, "device_ids[1]"},
		{"POST", "/api/v1/event-filters", `{"name":"f","endpoint_id":"` + ws["id"].(string) + `","event_types":"x"}`, "event_types"},
		{"GET", "/api/v1/endpoints?type=email", ``, "type"},
		{"GET", "/api/v1/endpoints?sort=name", ``, "sort"},
		{"GET", "/api/v1/endpoints?limit=0", ``, "limit"},
		{"GET", "/api/v1/endpoints?limit=1001", ``, "limit"},
		{"GET", "/api/v1/endpoints?typo=1", ``, "typo"},
		{"GET", "/api/v1/event-filters?sort=-name", ``, "sort"},
	}
	for _, c := range cases {
		var body any
		if c.body != "" {
			body = c.body
		}
		r := h.Do(c.method, c.path, admin, "", body)
		if r.Status != 400 || !strings.Contains(string(r.Body), `"code":"validation_failed"`) || !strings.Contains(string(r.Body), `"field":"`+c.field+`"`) {
			t.Errorf("%s %s %s: %d %s (want 400 on %s)", c.method, c.path, c.body, r.Status, r.Body, c.field)
		}
	}
	// A page token that is not the list's own is invalid_cursor, as on
	// every list.
	if r := h.Do("GET", "/api/v1/endpoints?page_token=garbage", admin, "", nil); r.Status != 400 ||
		!strings.Contains(string(r.Body), `"code":"invalid_cursor"`) || !strings.Contains(string(r.Body), `"field":"page_token"`) {
		t.Errorf("page_token=garbage: %d %s", r.Status, r.Body)
	}
	// Every problem of a request at once.
	r := h.Do("POST", "/api/v1/endpoints", admin, "", `{"name":"","type":"webhook","url":"nope","secret":"x"}`)
	for _, f := range []string{`"field":"name"`, `"field":"url"`, `"field":"secret"`} {
		if !strings.Contains(string(r.Body), f) {
			t.Errorf("combined errors lack %s: %s", f, r.Body)
		}
	}
	// Not JSON, wrong content type, non-admin.
	if r := h.Do("POST", "/api/v1/endpoints", admin, "", "{"); r.Status != 400 || !strings.Contains(string(r.Body), "invalid_json") {
		t.Errorf("bad JSON: %d %s", r.Status, r.Body)
	}
	if r := h.Do("POST", "/api/v1/endpoints", admin, "text/plain", "x"); r.Status != 415 {
		t.Errorf("text/plain: %d", r.Status)
	}
	reader := h.NewKey("default", proto.ScopeEventsRead)
	if r := h.Do("GET", "/api/v1/endpoints", reader, "", nil); r.Status != 403 {
		t.Errorf("non-admin list: %d", r.Status)
	}
	if r := h.Do("GET", "/api/v1/endpoints", "", "", nil); r.Status != 401 {
		t.Errorf("anonymous list: %d", r.Status)
	}
}

func TestEndpointListFiltersSortsPages(t *testing.T) {
	h, _ := start(t)
	var ids []string // creation order
	for i := range 5 {
		typ := "websocket"
		body := map[string]any{"name": fmt.Sprint("e", i), "type": typ}
		if i%2 == 1 {
			body["type"], body["url"] = "webhook", "https://a.example/"
		}
		if i == 4 {
			body["owner"] = "acme"
		}
		ids = append(ids, create(t, h, "/api/v1/endpoints", body)["id"].(string))
		time.Sleep(2 * time.Millisecond)
	}
	all, _ := list(t, h, "/api/v1/endpoints")
	if fmt.Sprint(all) != fmt.Sprint(ids) {
		t.Fatalf("default order %v, want creation order %v", all, ids)
	}
	desc, _ := list(t, h, "/api/v1/endpoints?sort=-created_at")
	if desc[0] != ids[4] || desc[4] != ids[0] {
		t.Fatalf("-created_at: %v", desc)
	}
	hooks, _ := list(t, h, "/api/v1/endpoints?type=webhook")
	if fmt.Sprint(hooks) != fmt.Sprint([]string{ids[1], ids[3]}) {
		t.Fatalf("type=webhook: %v", hooks)
	}
	some, _ := list(t, h, "/api/v1/endpoints?id="+ids[3]+"&id="+ids[0]+","+ids[2])
	if fmt.Sprint(some) != fmt.Sprint([]string{ids[0], ids[2], ids[3]}) {
		t.Fatalf("id list: %v", some)
	}
	acme, _ := list(t, h, "/api/v1/endpoints?owner=acme")
	if fmt.Sprint(acme) != fmt.Sprint([]string{ids[4]}) {
		t.Fatalf("owner=acme: %v", acme)
	}
	// Paging: 2 per page, in both directions; an item created between
	// pages does not shift what follows.
	for _, sort := range []string{"created_at", "-created_at"} {
		var got []string
		page, next := list(t, h, "/api/v1/endpoints?limit=2&sort="+sort)
		got = append(got, page...)
		for next != "" {
			page, next = list(t, h, "/api/v1/endpoints?limit=2&sort="+sort+"&page_token="+next)
			got = append(got, page...)
		}
		want, _ := list(t, h, "/api/v1/endpoints?sort="+sort)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("paged %s: %v, want %v", sort, got, want)
		}
	}
	_, next := list(t, h, "/api/v1/endpoints?limit=2")
	if r := h.Do("GET", "/api/v1/endpoints?limit=2&sort=-created_at&page_token="+next, admin, "", nil); r.Status != 400 {
		t.Fatalf("token of another sort accepted: %d", r.Status)
	}
	// updated_at: touching the first endpoint moves it last.
	h.Do("PATCH", "/api/v1/endpoints/"+ids[0], admin, "", map[string]any{"name": "touched"})
	upd, _ := list(t, h, "/api/v1/endpoints?sort=updated_at")
	if upd[len(upd)-1] != ids[0] {
		t.Fatalf("updated_at: %v", upd)
	}
}

func TestFilterLifecycleAndList(t *testing.T) {
	h, eps := start(t)
	ep1 := create(t, h, "/api/v1/endpoints", map[string]any{"name": "a", "type": "websocket"})["id"].(string)
	ep2 := create(t, h, "/api/v1/endpoints", map[string]any{"name": "b", "type": "websocket"})["id"].(string)
	other := create(t, h, "/api/v1/endpoints", map[string]any{"name": "c", "type": "websocket", "owner": "acme"})["id"].(string)
	f1 := create(t, h, "/api/v1/event-filters", map[string]any{"name": "cams", "endpoint_id": ep1,
		"device_ids": []string{"cam-2", "cam-1", "cam-2"}, "agent_ids": []string{"ag"}, "watchlist_ids": []string{"vip"}, "event_types": []string{"identification"}})
	if fmt.Sprint(f1["device_ids"]) != "[cam-1 cam-2]" || f1["owner"] != "default" || f1["endpoint_id"] != ep1 {
		t.Fatalf("filter: %v", f1)
	}
	time.Sleep(2 * time.Millisecond)
	f2 := create(t, h, "/api/v1/event-filters", map[string]any{"name": "all", "endpoint_id": ep2})
	if fmt.Sprint(f2["device_ids"]) != "[]" {
		t.Fatalf("empty lists must be []: %v", f2)
	}
	time.Sleep(2 * time.Millisecond)
	f3 := create(t, h, "/api/v1/event-filters", map[string]any{"name": "acme", "endpoint_id": other})
	if f3["owner"] != "acme" {
		t.Fatalf("filter owner follows its endpoint: %v", f3)
	}
	id1, id2, id3 := f1["id"].(string), f2["id"].(string), f3["id"].(string)
	if got := eps.Filters(ep1); len(got) != 1 || got[0].ID != id1 {
		t.Fatalf("index: %v", got)
	}

	check := func(q string, want ...string) {
		t.Helper()
		got, _ := list(t, h, "/api/v1/event-filters"+q)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	check("", id1, id2, id3)
	check("?sort=-created_at", id3, id2, id1)
	check("?id="+id3+","+id1, id1, id3)
	check("?endpoint_id="+ep2, id2)
	check("?owner=acme", id3)
	time.Sleep(2 * time.Millisecond)
	r := h.Do("PATCH", "/api/v1/event-filters/"+id1, admin, "", map[string]any{"event_types": []string{}, "endpoint_id": ep2})
	var f proto.EventFilter
	r.JSON(t, &f)
	if r.Status != 200 || f.EndpointID != ep2 || len(f.EventTypes) != 0 || len(f.DeviceIDs) != 2 {
		t.Fatalf("patch filter: %d %s", r.Status, r.Body)
	}
	check("?sort=updated_at", id2, id3, id1)
	check("?sort=-updated_at", id1, id3, id2)
	if got := eps.Filters(ep2); len(got) != 2 {
		t.Fatalf("index after move: %v", got)
	}
	if r := h.Do("PATCH", "/api/v1/event-filters/"+id1, admin, "", map[string]any{"endpoint_id": other}); r.Status != 400 {
		t.Fatalf("moving a filter to another tenant's endpoint: %d %s", r.Status, r.Body)
	}
	if r := h.Do("DELETE", "/api/v1/event-filters/"+id1, admin, "", nil); r.Status != 204 {
		t.Fatalf("delete: %d", r.Status)
	}
	check("", id2, id3)
	if r := h.Do("GET", "/api/v1/event-filters/"+id1, admin, "", nil); r.Status != 404 {
		t.Fatalf("deleted filter: %d", r.Status)
	}
}

// The management routes need the admin scope, which sees every tenant; the
// tenant check is still applied so that a narrower admin-like role cannot
// see other tenants' resources. Here: another tenant's key without admin.
func TestOtherTenantGetsNothing(t *testing.T) {
	h, _ := start(t)
	id := create(t, h, "/api/v1/endpoints", map[string]any{"name": "a", "type": "websocket", "owner": "acme"})["id"].(string)
	tok := h.NewKey("globex", proto.ScopeEventsRead, proto.ScopeEventsWrite)
	for _, p := range []string{"/api/v1/endpoints/" + id, "/api/v1/endpoints", "/api/v1/event-filters"} {
		if r := h.Do("GET", p, tok, "", nil); r.Status != 403 {
			t.Errorf("GET %s by another tenant's non-admin key: %d", p, r.Status)
		}
	}
}
