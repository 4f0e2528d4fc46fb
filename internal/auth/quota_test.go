package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

func TestKeysPerTenantQuota(t *testing.T) {
	h := servertest.Run(t, nil, func(c *config.Config) { c.Limits.KeysPerTenant = 2 })
	key := func(owner string) map[string]any {
		return map[string]any{"name": "k", "owner": owner, "scopes": []string{proto.ScopeEventsRead}}
	}
	var ids []string
	for range 2 {
		r := h.Do("POST", "/api/v1/keys", servertest.AdminToken, "", key("acme"))
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var k proto.APIKey
		r.JSON(t, &k)
		ids = append(ids, k.ID)
	}
	r := h.Do("POST", "/api/v1/keys", servertest.AdminToken, "", key("acme"))
	var body proto.ErrorBody
	r.JSON(t, &body)
	if r.Status != http.StatusConflict || body.Error.Code != proto.CodeQuotaExceeded ||
		!strings.Contains(body.Error.Message, `Owner "acme" already has 2 API keys`) || !strings.Contains(body.Error.Message, "limits.keys_per_tenant") {
		t.Fatalf("third key: %d %s", r.Status, r.Body)
	}
	if r := h.Do("POST", "/api/v1/keys", servertest.AdminToken, "", key("globex")); r.Status != http.StatusCreated {
		t.Fatalf("other tenant: %d %s", r.Status, r.Body)
	}
	if r := h.Do("DELETE", "/api/v1/keys/"+ids[0], servertest.AdminToken, "", nil); r.Status != http.StatusNoContent {
		t.Fatal(r.Status)
	}
	if r := h.Do("POST", "/api/v1/keys", servertest.AdminToken, "", key("acme")); r.Status != http.StatusCreated {
		t.Fatalf("after revoke: %d %s", r.Status, r.Body)
	}
}
