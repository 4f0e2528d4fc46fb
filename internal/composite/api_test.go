package composite

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

func TestRulesCRUD(t *testing.T) {
	h := gateway(t, testConfig(t))
	admin := servertest.AdminToken

	// Defaults: generated id, caller's owner, enabled, group_by label_id, [] lists.
	r := h.Do("POST", "/api/v1/rules", admin, "", map[string]any{"name": "n", "window_seconds": 10, "min_events": 2})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var rule proto.Rule
	r.JSON(t, &rule)
	if !strings.HasPrefix(rule.ID, "rule_") || rule.Owner != "default" || !rule.Enabled || rule.GroupBy != proto.GroupByLabel ||
		rule.CreatedAt.IsZero() || !strings.Contains(string(r.Body), `"include_label_ids":[]`) {
		t.Fatalf("defaults: %s", r.Body)
	}
	if loc := r.Header.Get("Location"); loc != "/api/v1/rules/"+rule.ID {
		t.Fatalf("Location %q", loc)
	}
	// Admin may set any owner and id; ids are unique.
	created := createRule(t, h, docRuleBody("acme"))
	if created.Owner != "acme" || created.ID != "rule_001" {
		t.Fatalf("%+v", created)
	}
	if r := h.Do("POST", "/api/v1/rules", admin, "", docRuleBody("acme")); r.Status != http.StatusConflict {
		t.Fatalf("duplicate id: %d %s", r.Status, r.Body)
	}

	if r := h.Do("GET", "/api/v1/rules/rule_001", admin, "", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"name":"Repeated Speech Cluster"`) {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	r = h.Do("PATCH", "/api/v1/rules/rule_001", admin, "", map[string]any{"description": "changed", "include_mic_ids": []string{}})
	var patched proto.Rule
	r.JSON(t, &patched)
	if r.Status != http.StatusOK || patched.Description != "changed" || len(patched.IncludeMicIDs) != 0 ||
		patched.Name != created.Name || !patched.UpdatedAt.After(created.UpdatedAt) || !patched.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if r := h.Do("PATCH", "/api/v1/rules/rule_001", admin, "", map[string]any{"id": "other"}); r.Status != http.StatusBadRequest {
		t.Fatalf("patch id: %d %s", r.Status, r.Body)
	}
	if r := h.Do("DELETE", "/api/v1/rules/rule_001", admin, "", nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		r := h.Do(m, "/api/v1/rules/rule_001", admin, "", map[string]any{})
		if r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), `"code":"not_found"`) {
			t.Fatalf("%s deleted: %d %s", m, r.Status, r.Body)
		}
	}

	// Admin scope only.
	key := h.NewKey("acme", proto.ScopeEventsRead, proto.ScopeEventsWrite)
	if r := h.Do("GET", "/api/v1/rules", key, "", nil); r.Status != http.StatusForbidden {
		t.Fatalf("non-admin list: %d", r.Status)
	}
	if r := h.Do("GET", "/api/v1/rules", "", "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.Status)
	}
}

func TestRulesValidation(t *testing.T) {
	h := gateway(t, testConfig(t))
	cases := []struct {
		body   any
		fields []string // details' fields, in order
	}{
		{map[string]any{}, []string{"name", "window_seconds", "min_events"}},
		{map[string]any{"name": "n", "window_seconds": 0, "min_events": 1001, "group_by": "owner", "cooldown_seconds": -1},
			[]string{"window_seconds", "min_events", "cooldown_seconds", "group_by"}},
		{map[string]any{"id": "a b", "name": "n", "window_seconds": 86401, "min_events": 1, "include_label_ids": []string{"x", "", "x"}},
			[]string{"id", "window_seconds", "include_label_ids[1]", "include_label_ids[2]"}},
		{map[string]any{"name": strings.Repeat("é", 201), "window_seconds": 1, "min_events": 1, "owner": ""}, []string{"owner", "name"}},
		{map[string]any{"name": "n", "window_seconds": "30", "min_events": 1}, []string{"window_seconds"}},
		{map[string]any{"name": "n", "window_seconds": 30, "min_events": 1, "created_at": "2026-01-01T00:00:00Z"}, []string{"created_at"}},
	}
	for i, c := range cases {
		r := h.Do("POST", "/api/v1/rules", servertest.AdminToken, "", c.body)
		var body proto.ErrorBody
		r.JSON(t, &body)
		var fields []string
		for _, d := range body.Error.Details {
			fields = append(fields, d.Field)
		}
		if r.Status != http.StatusBadRequest || body.Error.Code != proto.CodeValidationFailed || strings.Join(fields, ",") != strings.Join(c.fields, ",") {
			t.Errorf("case %d: %d %s; want fields %v", i, r.Status, r.Body, c.fields)
		}
	}
	if r := h.Do("POST", "/api/v1/rules", servertest.AdminToken, "", "{"); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), proto.CodeInvalidJSON) {
		t.Fatalf("bad JSON: %d %s", r.Status, r.Body)
	}
	if r := h.Do("POST", "/api/v1/rules", servertest.AdminToken, "text/plain", "x"); r.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("content type: %d %s", r.Status, r.Body)
	}
	created := createRule(t, h, docRuleBody("acme"))
	if r := h.Do("PATCH", "/api/v1/rules/"+created.ID, servertest.AdminToken, "", map[string]any{"min_events": 0}); r.Status != http.StatusBadRequest {
		t.Fatalf("patch invalid: %d %s", r.Status, r.Body)
	}
}

func TestRulesList(t *testing.T) {
	h := gateway(t, testConfig(t))
	admin := servertest.AdminToken
	for i := range 5 {
		body := docRuleBody([]string{"acme", "beta"}[i%2])
		body["id"] = fmt.Sprintf("r%d", i)
		if id := createRule(t, h, body).ID; id != body["id"] {
			t.Fatalf("created rule %q, want the id given, %q", id, body["id"])
		}
		time.Sleep(2 * time.Millisecond) // distinct created_at
	}
	// Touch r0 so that updated_at order differs from created_at order.
	if r := h.Do("PATCH", "/api/v1/rules/r0", admin, "", map[string]any{"name": "touched"}); r.Status != http.StatusOK {
		t.Fatal(r.Status)
	}
	list := func(q string) proto.List[proto.Rule] {
		t.Helper()
		r := h.Do("GET", "/api/v1/rules"+q, admin, "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("list %s: %d %s", q, r.Status, r.Body)
		}
		var l proto.List[proto.Rule]
		r.JSON(t, &l)
		return l
	}
	idsOf := func(l proto.List[proto.Rule]) string {
		var out []string
		for _, r := range l.Items {
			out = append(out, r.ID)
		}
		return strings.Join(out, " ")
	}
	// Walk every sort with pages of 2.
	for sort, want := range map[string]string{
		"created_at": "r0 r1 r2 r3 r4", "-created_at": "r4 r3 r2 r1 r0",
		"updated_at": "r1 r2 r3 r4 r0", "-updated_at": "r0 r4 r3 r2 r1",
	} {
		var got []string
		q := "?limit=2&sort=" + sort
		for pages := 0; ; pages++ {
			l := list(q)
			got = append(got, idsOf(l))
			if l.NextPageToken == "" {
				break
			}
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			q = "?limit=2&sort=" + sort + "&page_token=" + url.QueryEscape(l.NextPageToken)
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("sort %s: %s, want %s", sort, g, want)
		}
	}
	if got := idsOf(list("?id=r3&id=r1&id=nope")); got != "r1 r3" {
		t.Errorf("by id: %s", got)
	}
	if got := idsOf(list("?owner=beta")); got != "r1 r3" {
		t.Errorf("by owner: %s", got)
	}
	if got := idsOf(list("")); got != "r0 r1 r2 r3 r4" {
		t.Errorf("default: %s", got)
	}
	tok := list("?limit=1&sort=created_at").NextPageToken
	for q, code := range map[string]string{
		"?sort=name": proto.CodeValidationFailed, "?limit=0": proto.CodeValidationFailed, "?limit=x": proto.CodeValidationFailed,
		"?typo=1": proto.CodeValidationFailed, "?page_token=bm9wZQ": proto.CodeInvalidCursor,
		"?sort=-created_at&page_token=" + tok: proto.CodeInvalidCursor,
	} {
		r := h.Do("GET", "/api/v1/rules"+q, admin, "", nil)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"code":"`+code+`"`) {
			t.Errorf("%s: %d %s", q, r.Status, r.Body)
		}
	}
}
