package webhook_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

// storeWebhook stores a webhook endpoint without the API's checks, as a
// gateway from before them would have accepted it.
func (e *env) storeWebhook(t *testing.T, url string) proto.Endpoint {
	t.Helper()
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	now := time.Now().UTC()
	ep := proto.Endpoint{
		ID:    fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]),
		Owner: "default", Name: "legacy", Type: proto.EndpointWebhook, URL: url,
		Secret: endpoint.NewSecret(), Enabled: true, CreatedAt: now, UpdatedAt: now,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.eps.Store().EndpointSet.Create(ctx, ep.ID, ep); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "stored endpoint visible", func() bool { _, ok := e.eps.Endpoint(ep.ID); return ok })
	return ep
}

// The reported attack, reproduced: under the default config (no allow_cidrs), a
// receiver on [::1] and on 127.0.0.1, endpoints naming them through an
// IPv6 zone or an IPv4-mapped/-compatible address. Creating them is a 400
// naming "url"; stored anyway (an older gateway took them), they are never
// delivered and their delivery records say why.
func TestSSRFZoneAndMappedEndToEnd(t *testing.T) {
	e := start(t, func(cfg *config.Config) {
		cfg.Webhooks.AllowCIDRs = nil
		cfg.Webhooks.RetrySchedule = nil
	})
	var mu sync.Mutex
	hits := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mu.Lock(); hits++; mu.Unlock() })
	port := func(network, addr string) string {
		l, err := net.Listen(network, addr)
		if err != nil {
			t.Skipf("no %s loopback: %v", network, err)
		}
		srv := &http.Server{Handler: h}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
		_, p, _ := net.SplitHostPort(l.Addr().String())
		return p
	}
	p6, p4 := port("tcp6", "[::1]:0"), port("tcp4", "127.0.0.1:0")
	urls := []string{
		"http://[::1%25lo]:" + p6 + "/", "http://[::1%251]:" + p6 + "/",
		"http://[::ffff:127.0.0.1]:" + p4 + "/", "http://[::127.0.0.1]:" + p4 + "/",
	}
	var eps []proto.Endpoint
	for _, u := range urls {
		r := e.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "hook", "type": "webhook", "url": u})
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"field":"url"`) || !strings.Contains(string(r.Body), "loopback") {
			t.Errorf("create %s: %d %s", u, r.Status, r.Body)
		}
		eps = append(eps, e.storeWebhook(t, u))
	}
	// PATCH to such a URL is refused the same way.
	ok := e.createWebhook(t, "https://hooks.example.com/in")
	if r := e.Do("PATCH", "/api/v1/endpoints/"+ok.ID, servertest.AdminToken, "", map[string]any{"url": urls[0]}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"field":"url"`) {
		t.Errorf("patch: %d %s", r.Status, r.Body)
	}

	e.ingestSound(t, "z", 1)
	for i, ep := range eps {
		testkit.Eventually(t, 30*time.Second, "failed record of "+urls[i], func() bool { return len(e.deliveries(t, ep.ID, "&status=failed")) == 1 })
		d := e.deliveries(t, ep.ID, "")[0]
		if !strings.Contains(d.Error, "refused to connect to") || !strings.Contains(d.Error, "a loopback address") || d.ResponseStatus != 0 {
			t.Errorf("%s: record %+v", urls[i], d)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 0 {
		t.Fatalf("the loopback receivers got %d requests", hits)
	}
}

// Credentials in a webhook URL: refused at create and update (400 naming
// "url"); an endpoint stored with them earlier never shows them in GET or
// list, and is delivered without them.
func TestWebhookURLCredentials(t *testing.T) {
	e := start(t)
	var mu sync.Mutex
	var auths []string
	srv := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("webhook-id")+" "+r.Header.Get("Authorization")+"|"+r.URL.User.String())
		mu.Unlock()
	})}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	base := "http://" + l.Addr().String() + "/in"
	withCreds := "http://alice:s3cret@" + l.Addr().String() + "/in"

	for _, u := range []string{withCreds, "http://token@" + l.Addr().String() + "/", "https://user:pass@hooks.example.com/"} {
		r := e.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "hook", "type": "webhook", "url": u})
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"field":"url"`) || !strings.Contains(string(r.Body), "credentials") ||
			strings.Contains(string(r.Body), "s3cret") || strings.Contains(string(r.Body), "pass@") {
			t.Errorf("create %s: %d %s", u, r.Status, r.Body)
		}
	}
	good := e.createWebhook(t, base)
	if r := e.Do("PATCH", "/api/v1/endpoints/"+good.ID, servertest.AdminToken, "", map[string]any{"url": withCreds}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"field":"url"`) {
		t.Errorf("patch: %d %s", r.Status, r.Body)
	}

	legacy := e.storeWebhook(t, withCreds)
	for _, path := range []string{"/api/v1/endpoints/" + legacy.ID, "/api/v1/endpoints", "/api/v1/endpoints?type=webhook"} {
		r := e.Do("GET", path, servertest.AdminToken, "", nil)
		if r.Status != http.StatusOK || strings.Contains(string(r.Body), "s3cret") || strings.Contains(string(r.Body), "alice") {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
		if path == "/api/v1/endpoints/"+legacy.ID && !strings.Contains(string(r.Body), `"url":"`+base+`"`) {
			t.Errorf("GET %s: url not redacted to %s: %s", path, base, r.Body)
		}
	}
	r := e.Do("PATCH", "/api/v1/endpoints/"+legacy.ID, servertest.AdminToken, "", map[string]any{"name": "renamed"})
	if r.Status != http.StatusOK || strings.Contains(string(r.Body), "s3cret") {
		t.Errorf("PATCH name: %d %s", r.Status, r.Body)
	}

	e.ingestSound(t, "c", 1)
	testkit.Eventually(t, 30*time.Second, "delivery to the legacy endpoint", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.ContainsFunc(auths, func(a string) bool { return strings.HasPrefix(a, "msg_"+legacy.ID+"_") })
	})
	mu.Lock()
	defer mu.Unlock()
	for _, a := range auths {
		if !strings.HasSuffix(a, " |") {
			t.Errorf("the receiver got credentials: %q", a)
		}
	}
}
