// Package browser tests the gateway from a real browser (tests only):
// Chromium, driven with chromedp, loads a page served by the test from
// another origin, which opens the SSE streams and the composite WebSocket
// with an API key and with a JWT, calls the REST API through a CORS
// preflight, and is refused from an origin not in
// server.cors.allowed_origins; and it runs the browser guide
// (docs/browser.md): its complete page, its Go backend and its Node.js
// token example.
//
// The browser is /usr/bin/chromium (Debian's package), or EVTCTL_CHROMIUM.
// Without one the tests are skipped, except under CI=true, where they fail.
package browser

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/stream"
)

// chromium finds the browser: EVTCTL_CHROMIUM, else chromium or
// google-chrome on PATH. Under CI=true a missing browser fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("EVTCTL_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("EVTCTL_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium (apt-get install chromium, or set EVTCTL_CHROMIUM): the browser tests must run in CI")
	}
	t.Skip("no Chromium found (apt-get install chromium, or set EVTCTL_CHROMIUM)")
	return ""
}

// page is the dashboard the test serves from another origin: helpers that
// open an EventSource or a WebSocket and record what happens in window.st.
const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>evtctl browser test</title></head>
<body><script>
window.st = {};
window.sse = (name, url) => {
  const s = st[name] = {open: false, events: [], errors: 0, closed: false};
  const es = new EventSource(url);
  s.es = es;
  es.onopen = () => { s.open = true; };
  es.addEventListener('analysis_result', (e) => s.events.push({id: e.lastEventId, data: JSON.parse(e.data)}));
  es.onerror = () => { s.errors++; if (es.readyState === EventSource.CLOSED) s.closed = true; };
};
window.ws = (name, url) => {
  const s = st[name] = {open: false, messages: [], closed: false, code: 0};
  const w = new WebSocket(url);
  w.onopen = () => { s.open = true; };
  w.onmessage = (e) => {
    if (e.data === '') return; // keep-alive
    try { s.messages.push(JSON.parse(e.data)); } catch { s.messages.push(e.data); } // "hello"
  };
  w.onclose = (e) => { s.closed = true; s.code = e.code; };
};
window.rest = async (url, token) => {
  try {
    const r = await fetch(url, {headers: {'Authorization': 'Bearer ' + token}});
    return {status: r.status, body: await r.json()};
  } catch (e) {
    return {error: String(e)};
  }
};
</script></body></html>`

// gateway starts a gateway with the streams, allowing origin and
// verifying JWTs signed with the HMAC secret.
func gateway(t *testing.T, origin, secret string) *servertest.Harness {
	t.Helper()
	yaml := fmt.Sprintf(`server:
  listen: "127.0.0.1:0"
  name: edge-01
  admin_token: %s
  cors:
    allowed_origins: [%q]
storage:
  data_dir: %q
log:
  level: error
`, servertest.AdminToken, origin, t.TempDir())
	yaml += fmt.Sprintf("auth:\n  jwt:\n    secrets: [%q]\n", secret)
	p := filepath.Join(t.TempDir(), "evtctl.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return servertest.Start(t, cfg, func(ctx context.Context, h server.Handles) ([]component.Component, error) {
		eps, err := endpoint.New(ctx, h.Env, h.Config.Webhooks, h.Config.Limits)
		if err != nil {
			return nil, err
		}
		st, err := stream.New(ctx, h.Env, stream.ConfigOf(h.Config), h.Log, h.Keys, eps)
		return []component.Component{eps, st}, err
	})
}

// hs256 mints a JWT as an application's backend would (docs/browser.md).
func hs256(secret string, claims map[string]any) string {
	enc := base64.RawURLEncoding
	body, _ := json.Marshal(claims)
	signing := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(body)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// browse starts a headless Chromium (exe) for at most a minute and
// returns the context of its first tab; it ends with the test.
func browse(t *testing.T, exe string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	return bctx
}

func pageServer(t *testing.T) (origin string) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestBrowser(t *testing.T) {
	exe := chromium(t)
	start := time.Now()
	allowed, refused := pageServer(t), pageServer(t) // two loopback ports, two origins
	const secret = "browser-test-hmac-secret-0123456789abcdef"
	g := gateway(t, allowed, secret)
	reader := g.NewKey("acme", "analytics:read", "events:read")
	writer := g.NewKey("acme", "events:write")

	bctx := browse(t, exe)
	if err := chromedp.Do(bctx, chromedp.Navigate(allowed)); err != nil {
		t.Fatalf("Chromium %s: %v", exe, err)
	}
	t.Logf("Chromium up in %v", time.Since(start).Round(time.Millisecond))

	eval := func(t *testing.T, tab context.Context, expr string, out any) {
		t.Helper()
		if out == nil {
			if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](expr, chromedp.EvalAwaitPromise)); err != nil {
				t.Fatalf("%s: %v", expr, err)
			}
			return
		}
		raw, err := chromedp.Run(tab, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
		if err == nil {
			err = json.Unmarshal(raw, out)
		}
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
	}
	wait := func(t *testing.T, tab context.Context, cond string) {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			var st any
			eval(t, tab, "JSON.stringify(st)", &st)
			t.Fatalf("waiting for %s: %v; state %v", cond, err, st)
		}
	}
	ingest := func(t *testing.T, device, id string) {
		t.Helper()
		body := fmt.Sprintf(`{"deviceId":%q,"analysisId":%q,"sceneId":"s","timestamp":"2026-01-29T10:00:00Z","detections":[{"type":"person","confidence":0.9}]}`, device, id)
		if r := g.Do("POST", "/api/v1/events/analysis", writer, "application/json", json.RawMessage(body)); r.Status != http.StatusAccepted {
			t.Fatalf("ingest: %d %s", r.Status, r.Body)
		}
	}
	sseURL := func(path, token string) string {
		return g.URL + path + "?access_token=" + url.QueryEscape(token)
	}
	wsBase := "ws" + strings.TrimPrefix(g.URL, "http")

	t.Run("sse with an API key", func(t *testing.T) {
		eval(t, bctx, fmt.Sprintf(`sse("key", %q)`, sseURL("/api/v1/devices/analysis/stream/all", reader)), nil)
		wait(t, bctx, "st.key.open")
		ingest(t, "cam-1", "a-1")
		wait(t, bctx, "st.key.events.length >= 1")
		var got struct {
			ID   string         `json:"id"`
			Data map[string]any `json:"data"`
		}
		eval(t, bctx, "st.key.events[0]", &got)
		if got.Data["analysisId"] != "a-1" || got.ID == "" {
			t.Errorf("event %+v", got)
		}
		eval(t, bctx, "st.key.es.close()", nil)
	})

	t.Run("rest through a preflight", func(t *testing.T) {
		var got struct {
			Status int            `json:"status"`
			Body   map[string]any `json:"body"`
			Error  string         `json:"error"`
		}
		eval(t, bctx, fmt.Sprintf(`rest(%q, %q)`, g.URL+"/api/v1/events?family=analysis&limit=1", reader), &got)
		if got.Status != 200 || got.Body["items"] == nil {
			t.Errorf("fetch with Authorization: %+v", got)
		}
	})

	t.Run("composite websocket", func(t *testing.T) {
		eval(t, bctx, fmt.Sprintf(`ws("comp", %q)`, wsBase+"/api/v1/ws/composite-events?access_token="+url.QueryEscape(reader)), nil)
		wait(t, bctx, `st.comp.messages[0] === "hello"`)
		c := `{"id":"c-1","group_key":"edge-01:dog_bark","rule":{"id":"r"},"events":[],"mics":[],"labels":[],"started_at":"2026-03-26T08:59:45Z"}`
		if _, err := g.Server.Log().Append(context.Background(), []store.Entry{{Address: store.CompositeAddress("acme", "c-1"), ID: "c-1", Data: []byte(c)}}); err != nil {
			t.Fatal(err)
		}
		wait(t, bctx, `st.comp.messages.some((m) => m.id === "c-1")`)
	})

	t.Run("sse with a JWT", func(t *testing.T) {
		tok := hs256(secret, map[string]any{"sub": "acme", "scope": "analytics:read", "devices": []string{"cam-2"}, "exp": time.Now().Add(5 * time.Minute).Unix()})
		eval(t, bctx, fmt.Sprintf(`sse("jwt", %q)`, sseURL("/api/v1/devices/cam-2/analysis/stream", tok)), nil)
		wait(t, bctx, "st.jwt.open")
		ingest(t, "cam-2", "a-2")
		wait(t, bctx, "st.jwt.events.length >= 1")
		var id string
		eval(t, bctx, "st.jwt.events[0].data.analysisId", &id)
		if id != "a-2" {
			t.Errorf("event %q", id)
		}
		eval(t, bctx, "st.jwt.es.close()", nil)
	})

	t.Run("refused origin", func(t *testing.T) {
		tab, cancelTab := chromedp.NewContext(bctx)
		defer cancelTab()
		if err := chromedp.Do(tab, chromedp.Navigate(refused)); err != nil {
			t.Fatal(err)
		}
		eval(t, tab, fmt.Sprintf(`sse("key", %q)`, sseURL("/api/v1/devices/analysis/stream/all", reader)), nil)
		eval(t, tab, fmt.Sprintf(`ws("comp", %q)`, wsBase+"/api/v1/ws/composite-events?access_token="+url.QueryEscape(reader)), nil)
		wait(t, tab, "st.key.closed && st.comp.closed")
		var open bool
		eval(t, tab, "st.key.open || st.comp.open || st.key.events.length > 0", &open)
		if open {
			t.Error("a refused origin opened a stream")
		}
		var code int
		eval(t, tab, "st.comp.code", &code)
		if code != 1006 { // the upgrade was answered 403
			t.Errorf("WebSocket close code %d, want 1006", code)
		}
		var rest struct {
			Error string `json:"error"`
		}
		eval(t, tab, fmt.Sprintf(`rest(%q, %q)`, g.URL+"/api/v1/events?limit=1", reader), &rest)
		if rest.Error == "" {
			t.Error("fetch from a refused origin succeeded")
		}
	})
	t.Logf("browser tests took %v", time.Since(start).Round(time.Millisecond))
}
