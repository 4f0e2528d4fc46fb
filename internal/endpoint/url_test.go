package endpoint_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/webhook/ssrf/ssrftest"
)

// Every SSRF form of the shared table through the API under the default
// config: refused with a 400 naming "url" on create and on update, except
// the names, which are only resolved when connecting. webhooks.allow_cidrs
// opens loopback in any spelling of its addresses.
func TestWebhookURLForms(t *testing.T) {
	h, _ := start(t)
	ep := create(t, h, "/api/v1/endpoints", map[string]any{"name": "ok", "type": "webhook", "url": "https://hooks.example.com/in"})
	id := ep["id"].(string)
	refused := 0
	for _, f := range ssrftest.Forms {
		u := f.With("8080", "8081")
		r := h.Do("POST", "/api/v1/endpoints", admin, "", map[string]any{"name": "x", "type": "webhook", "url": u})
		p := h.Do("PATCH", "/api/v1/endpoints/"+id, admin, "", map[string]any{"url": u})
		if !f.Create {
			if r.Status != http.StatusCreated || p.Status != http.StatusOK {
				t.Errorf("%s: %s: create %d, patch %d %s", f.Name, u, r.Status, p.Status, p.Body)
			}
			continue
		}
		for _, x := range []*servertest.Response{r, p} {
			if x.Status != http.StatusBadRequest || !strings.Contains(string(x.Body), `"field":"url"`) {
				t.Errorf("%s: %s: %d %s", f.Name, u, x.Status, x.Body)
			}
		}
		refused++
	}
	for _, u := range ssrftest.Accepted {
		if r := h.Do("PATCH", "/api/v1/endpoints/"+id, admin, "", map[string]any{"url": u}); r.Status != http.StatusOK {
			t.Errorf("%s: %d %s", u, r.Status, r.Body)
		}
	}
	t.Logf("refused at create and update: %d of %d forms", refused, len(ssrftest.Forms))
}

func TestWebhookURLAllowCIDRs(t *testing.T) {
	h, _ := run(t, func(c *config.Config) { c.Webhooks.AllowCIDRs = []string{"127.0.0.0/8", "::1/128"} })
	for _, u := range []string{"http://127.0.0.1:8080/", "http://[::1%25lo]:8080/", "http://[::ffff:127.0.0.1]:8080/", "http://localhost:8080/"} {
		create(t, h, "/api/v1/endpoints", map[string]any{"name": "x", "type": "webhook", "url": u})
	}
	for _, u := range []string{"http://169.254.169.254/", "http://user:pass@127.0.0.1/", "http://0x7f.1/"} {
		if r := h.Do("POST", "/api/v1/endpoints", admin, "", map[string]any{"name": "x", "type": "webhook", "url": u}); r.Status != http.StatusBadRequest {
			t.Errorf("%s with loopback allowed: %d %s", u, r.Status, r.Body)
		}
	}
}
