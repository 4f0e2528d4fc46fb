package composite

import (
	"net/http"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

func TestRulesPerTenantQuota(t *testing.T) {
	cfg := testConfig(t)
	cfg.Limits.RulesPerTenant = 2
	h := gateway(t, cfg)
	admin := servertest.AdminToken
	rule := func(owner string) map[string]any {
		return map[string]any{"name": "n", "owner": owner, "window_seconds": 10, "min_events": 2}
	}
	var ids []string
	for range 2 {
		r := h.Do("POST", "/api/v1/rules", admin, "", rule("acme"))
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var got proto.Rule
		r.JSON(t, &got)
		ids = append(ids, got.ID)
	}
	full := func(r *servertest.Response) {
		t.Helper()
		var body proto.ErrorBody
		r.JSON(t, &body)
		if r.Status != http.StatusConflict || body.Error.Code != proto.CodeQuotaExceeded ||
			!strings.Contains(body.Error.Message, `Owner "acme" already has 2 composite rules`) ||
			!strings.Contains(body.Error.Message, "limits.rules_per_tenant") {
			t.Fatalf("want 409 quota_exceeded, got %d %s", r.Status, r.Body)
		}
	}
	full(h.Do("POST", "/api/v1/rules", admin, "", rule("acme")))
	// Moving another tenant's rule to a full tenant counts like a create.
	r := h.Do("POST", "/api/v1/rules", admin, "", rule("globex"))
	if r.Status != http.StatusCreated {
		t.Fatalf("other tenant: %d %s", r.Status, r.Body)
	}
	var moved proto.Rule
	r.JSON(t, &moved)
	full(h.Do("PATCH", "/api/v1/rules/"+moved.ID, admin, "", map[string]any{"owner": "acme"}))
	// A change within the tenant is not a create; a delete frees a slot.
	if r := h.Do("PATCH", "/api/v1/rules/"+ids[0], admin, "", map[string]any{"name": "renamed"}); r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if r := h.Do("DELETE", "/api/v1/rules/"+ids[0], admin, "", nil); r.Status != http.StatusNoContent {
		t.Fatal(r.Status)
	}
	if r := h.Do("POST", "/api/v1/rules", admin, "", rule("acme")); r.Status != http.StatusCreated {
		t.Fatalf("after delete: %d %s", r.Status, r.Body)
	}
}
