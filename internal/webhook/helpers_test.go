package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/webhook"
	"github.com/evtctl/evtctl/pkg/proto"
)

type env struct {
	*servertest.Harness
	eps *endpoint.Service
	wh  *webhook.Service
}

// start runs a gateway with endpoints and webhooks; loopback receivers are
// allowed explicitly, the retry schedule is short and without jitter.
func start(t *testing.T, opts ...servertest.Option) *env {
	t.Helper()
	var eps *endpoint.Service
	var wh *webhook.Service
	base := func(c *config.Config) {
		c.Webhooks.AllowCIDRs = []string{"127.0.0.0/8"}
		c.Webhooks.RetrySchedule = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
		c.Webhooks.Jitter = 0
		c.Webhooks.Timeout = 2 * time.Second
		c.Webhooks.BreakerFailures = 5
		c.Webhooks.BreakerCooldown = 200 * time.Millisecond
	}
	h := servertest.Run(t, build(&eps, &wh), append([]servertest.Option{base}, opts...)...)
	return &env{Harness: h, eps: eps, wh: wh}
}

// build makes the endpoints and webhooks components, and stores them in
// *eps and *wh.
func build(eps **endpoint.Service, wh **webhook.Service) server.Builder {
	return func(ctx context.Context, g server.Handles) ([]component.Component, error) {
		var err error
		if *eps, err = endpoint.New(ctx, g.Env, g.Config.Webhooks, g.Config.Limits); err != nil {
			return nil, err
		}
		if *wh, err = webhook.New(ctx, g.Env, g.Config.Webhooks, g.Config.Redact, g.Log, *eps); err != nil {
			(*eps).Stop(ctx)
			return nil, err
		}
		return []component.Component{*eps, *wh}, nil
	}
}

// createWebhook creates a webhook endpoint of the admin's tenant and
// returns it with its secret.
func (e *env) createWebhook(t *testing.T, url string) proto.Endpoint {
	t.Helper()
	r := e.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "hook", "type": "webhook", "url": url})
	if r.Status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %s", r.Status, r.Body)
	}
	var ep proto.Endpoint
	r.JSON(t, &ep)
	if !strings.HasPrefix(ep.Secret, "whsec_") {
		t.Fatalf("no whsec_ secret in %s", r.Body)
	}
	return ep
}

func soundEvent(id string) string {
	return fmt.Sprintf(`{"id":%q,"created_at":"2026-03-26T09:00:00Z","label_id":"dog_bark","mic_id":"mic_1","confidence":0.9}`, id)
}

// ingestSound stores n sound events with ids prefix0..prefix(n-1).
func (e *env) ingestSound(t *testing.T, prefix string, n int) []string {
	t.Helper()
	var b strings.Builder
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("%s%d", prefix, i)
		b.WriteString(soundEvent(ids[i]) + "\n")
	}
	r := e.Do("POST", "/api/v1/events/sound", servertest.AdminToken, "application/x-ndjson", b.String())
	if r.Status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", r.Status, r.Body)
	}
	return ids
}

func (e *env) deliveries(t *testing.T, epID, query string) []proto.Delivery {
	t.Helper()
	var all []proto.Delivery
	tok := ""
	for {
		r := e.Do("GET", "/api/v1/endpoints/"+epID+"/deliveries?limit=1000"+query+tok, servertest.AdminToken, "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("deliveries: %d %s", r.Status, r.Body)
		}
		var page proto.List[proto.Delivery]
		r.JSON(t, &page)
		all = append(all, page.Items...)
		if page.NextPageToken == "" {
			return all
		}
		tok = "&page_token=" + page.NextPageToken
	}
}

// verify checks a Standard Webhooks signature header with an independent
// implementation of the scheme: HMAC-SHA256 over "id.timestamp.body" keyed
// with the base64 part of the whsec_ secret, any "v1,<sig>" may match.
func verify(secret, id, ts string, body []byte, header string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, part := range strings.Fields(header) {
		if v, sig, ok := strings.Cut(part, ","); ok && v == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

// hit is one request the receiver got.
type hit struct {
	id, ts, sig string
	body        []byte
	eventID     string
	at          time.Time
	hdr         http.Header
}

// receiver is a real HTTP webhook receiver that checks every request's
// signature against the secrets it is told to expect.
type receiver struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	secrets  []string // every one must verify
	hits     []hit
	badSigs  []string
	respond  func(h hit, n int) (int, http.Header) // n: how many times this webhook-id came before
	inflight atomic.Int32
	maxIn    atomic.Int32
	delay    time.Duration
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

// newReceiverAt listens on a given address (to come back after a "down").
func newReceiverAt(t *testing.T, rc *receiver, addr string) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	rc.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(rc.serve)}}
	rc.srv.Start()
	t.Cleanup(rc.srv.Close)
}

func (rc *receiver) expect(secrets ...string) {
	rc.mu.Lock()
	rc.secrets = secrets
	rc.mu.Unlock()
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	n := rc.inflight.Add(1)
	defer rc.inflight.Add(-1)
	for {
		m := rc.maxIn.Load()
		if n <= m || rc.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	body, _ := io.ReadAll(r.Body)
	h := hit{id: r.Header.Get("webhook-id"), ts: r.Header.Get("webhook-timestamp"), sig: r.Header.Get("webhook-signature"), body: body, at: time.Now(), hdr: r.Header.Clone()}
	if i := strings.Index(string(body), `"id":"`); i >= 0 {
		rest := string(body[i+6:])
		h.eventID = rest[:strings.IndexByte(rest, '"')]
	}
	rc.mu.Lock()
	ok := r.Method == "POST" && r.Header.Get("Content-Type") == "application/json" && h.id != ""
	if ts, err := strconv.ParseInt(h.ts, 10, 64); err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		ok = false
	}
	for _, s := range rc.secrets {
		ok = ok && verify(s, h.id, h.ts, body, h.sig)
	}
	if !ok {
		rc.badSigs = append(rc.badSigs, h.id)
	}
	prior := 0
	for _, x := range rc.hits {
		if x.id == h.id {
			prior++
		}
	}
	rc.hits = append(rc.hits, h)
	respond := rc.respond
	rc.mu.Unlock()
	if rc.delay > 0 {
		time.Sleep(rc.delay)
	}
	status, hdr := http.StatusNoContent, http.Header(nil)
	if respond != nil {
		status, hdr = respond(h, prior)
	}
	for k, v := range hdr {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
}

func (rc *receiver) snapshot() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

// delivered returns the event ids the receiver answered 2xx for... as far
// as the receiver knows: every id it saw, with the count of requests.
func (rc *receiver) byEvent() map[string][]hit {
	out := map[string][]hit{}
	for _, h := range rc.snapshot() {
		out[h.eventID] = append(out[h.eventID], h)
	}
	return out
}

func (rc *receiver) checkSignatures(t *testing.T) {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.badSigs) > 0 {
		t.Fatalf("%d requests failed signature verification, e.g. %s", len(rc.badSigs), rc.badSigs[0])
	}
}
