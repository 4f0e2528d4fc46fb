package endpoint_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

// quotaError checks a 409 quota_exceeded answer naming the config key.
func quotaError(t *testing.T, r *servertest.Response, key string) {
	t.Helper()
	var body proto.ErrorBody
	r.JSON(t, &body)
	if r.Status != http.StatusConflict || body.Error.Code != proto.CodeQuotaExceeded || !strings.Contains(body.Error.Message, key) {
		t.Fatalf("want 409 quota_exceeded naming %s, got %d %s", key, r.Status, r.Body)
	}
}

func TestEndpointsPerTenantQuota(t *testing.T) {
	h, _ := run(t, func(c *config.Config) { c.Limits.EndpointsPerTenant = 3 })
	ws := func(owner string) map[string]any {
		return map[string]any{"name": "e", "type": "websocket", "owner": owner}
	}
	var ids []string
	for range 3 {
		ids = append(ids, create(t, h, "/api/v1/endpoints", ws("acme"))["id"].(string))
	}
	r := h.Do("POST", "/api/v1/endpoints", admin, "", ws("acme"))
	quotaError(t, r, "limits.endpoints_per_tenant")
	if !strings.Contains(string(r.Body), `Owner \"acme\" already has 3 endpoints`) {
		t.Errorf("message: %s", r.Body)
	}
	// Another tenant has its own quota; deleting frees a slot.
	create(t, h, "/api/v1/endpoints", ws("globex"))
	if r := h.Do("DELETE", "/api/v1/endpoints/"+ids[0], admin, "", nil); r.Status != http.StatusNoContent {
		t.Fatal(r.Status)
	}
	create(t, h, "/api/v1/endpoints", ws("acme"))
}

// Creates at the same moment on one node never take a tenant past its
// quota together.
func TestEndpointsQuotaHoldsUnderConcurrentCreates(t *testing.T) {
	h, _ := run(t, func(c *config.Config) { c.Limits.EndpointsPerTenant = 5 })
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for range 20 {
		wg.Go(func() {
			statuses <- h.Do("POST", "/api/v1/endpoints", admin, "", map[string]any{"name": "e", "type": "websocket", "owner": "acme"}).Status
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusCreated] != 5 || count[http.StatusConflict] != 15 {
		t.Fatalf("statuses %v, want 5 created and 15 conflicts", count)
	}
}

func TestFiltersPerEndpointQuota(t *testing.T) {
	h, _ := run(t, func(c *config.Config) { c.Limits.FiltersPerEndpoint = 2 })
	ep1 := create(t, h, "/api/v1/endpoints", map[string]any{"name": "a", "type": "websocket"})["id"].(string)
	ep2 := create(t, h, "/api/v1/endpoints", map[string]any{"name": "b", "type": "websocket"})["id"].(string)
	filter := func(ep string, i int) map[string]any {
		return map[string]any{"name": fmt.Sprint("f", i), "endpoint_id": ep, "device_ids": []string{"cam-1"}}
	}
	var first string
	for i := range 2 {
		f := create(t, h, "/api/v1/event-filters", filter(ep1, i))
		if first == "" {
			first = f["id"].(string)
		}
	}
	r := h.Do("POST", "/api/v1/event-filters", admin, "", filter(ep1, 3))
	quotaError(t, r, "limits.filters_per_endpoint")
	if !strings.Contains(string(r.Body), fmt.Sprintf(`Endpoint \"%s\" already has 2 event filters`, ep1)) {
		t.Errorf("message: %s", r.Body)
	}
	// Another endpoint has its own quota; moving a filter onto a full
	// endpoint counts like a create.
	other := create(t, h, "/api/v1/event-filters", filter(ep2, 4))["id"].(string)
	quotaError(t, h.Do("PATCH", "/api/v1/event-filters/"+other, admin, "", map[string]any{"endpoint_id": ep1}), "limits.filters_per_endpoint")
	// A change that keeps the endpoint is not a create.
	if r := h.Do("PATCH", "/api/v1/event-filters/"+first, admin, "", map[string]any{"endpoint_id": ep1, "name": "renamed"}); r.Status != http.StatusOK {
		t.Fatalf("patch in place: %d %s", r.Status, r.Body)
	}
	if r := h.Do("DELETE", "/api/v1/event-filters/"+first, admin, "", nil); r.Status != http.StatusNoContent {
		t.Fatal(r.Status)
	}
	create(t, h, "/api/v1/event-filters", filter(ep1, 5))
}
