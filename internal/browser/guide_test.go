package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/testnet"
)

// guideBlocks returns the fenced code blocks of docs/browser.md of the
// given language, in order.
func guideBlocks(t *testing.T, lang string) []string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "browser.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?ms)^```" + lang + "\n(.*?)^```\n")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(doc), -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatalf("docs/browser.md has no %s block", lang)
	}
	return out
}

// goBackend builds and starts the guide's Go backend (its only go block)
// on a free loopback address instead of 127.0.0.1:8088; it returns that
// address.
func goBackend(t *testing.T, secret string) string {
	t.Helper()
	src := guideBlocks(t, "go")[0]
	if !strings.Contains(src, `"127.0.0.1:8088"`) {
		t.Fatal("the guide's Go backend no longer listens on 127.0.0.1:8088: update this test")
	}
	addr := testnet.Addr(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(strings.Replace(src, "127.0.0.1:8088", addr, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "backend")
	build := exec.Command("go", "build", "-o", bin, "main.go")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=", "GO111MODULE=on")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the guide's Go backend: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "EVTCTL_JWT_SECRET="+secret)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("the guide's Go backend is not listening on %s: %v", addr, err)
		}
	}
}

// nodeToken runs the guide's Node.js example and returns the token it
// prints.
func nodeToken(t *testing.T, secret string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed: the guide's Node.js example must run in CI")
		}
		t.Skip("node is not installed")
	}
	cmd := exec.Command(node, "-e", guideBlocks(t, "js")[0])
	cmd.Env = append(os.Environ(), "EVTCTL_JWT_SECRET="+secret)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the guide's Node.js example: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestGuide runs docs/browser.md as a newcomer would: the Go backend and
// the Node.js example mint tokens the gateway accepts, and the complete
// page, served from an allowed origin in Chromium, shows analysis results
// over SSE and composites over the WebSocket — with a read key given as
// ?token=, and with a JWT it fetches from the backend.
func TestGuide(t *testing.T) {
	exe := chromium(t)
	const secret = "guide-test-hmac-secret-0123456789abcdef"

	html := guideBlocks(t, "html")[0]
	const docGateway = "const GATEWAY = 'http://127.0.0.1:8100';"
	if !strings.Contains(html, docGateway) {
		t.Fatal("the guide's page no longer names its gateway as " + docGateway + ": update this test")
	}
	backend := goBackend(t, secret)
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: backend})
	var pageHTML string // set once the gateway's URL is known
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/evtctl-token" { // the page's own backend, same origin
			proxy.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(pageHTML))
	}))
	t.Cleanup(site.Close)
	g := gateway(t, site.URL, secret)
	pageHTML = strings.Replace(html, docGateway, "const GATEWAY = '"+g.URL+"';", 1)

	// Both minting examples give tokens the REST API accepts.
	for name, tok := range map[string]string{"Node.js": nodeToken(t, secret), "Go": backendToken(t, backend)} {
		r := g.Do("GET", "/api/v1/events?family=analysis&limit=1", tok, "", nil)
		if r.Status != http.StatusOK {
			t.Errorf("the %s example's token: %d %s", name, r.Status, r.Body)
		}
	}

	bctx := browse(t, exe)

	writer := g.NewKey("acme", "events:write")
	n := 0
	ingest := func(device string) {
		n++
		body := fmt.Sprintf(`{"deviceId":%q,"analysisId":"guide-%d","sceneId":"s","timestamp":"2026-01-29T10:00:00Z","detections":[{"type":"person","confidence":0.9}]}`, device, n)
		if r := g.Do("POST", "/api/v1/events/analysis", writer, "application/json", json.RawMessage(body)); r.Status != http.StatusAccepted {
			t.Fatalf("ingest: %d %s", r.Status, r.Body)
		}
	}
	waitFor := func(cond string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			body, _ := chromedp.Run(bctx, chromedp.Evaluate[string]("document.body.innerText"))
			t.Fatalf("waiting for %s: %v; page: %s", cond, err, body)
		}
	}
	has := func(list, text string) string {
		return fmt.Sprintf(`[...document.querySelectorAll('#%s li')].some((li) => li.textContent.includes(%q))`, list, text)
	}

	t.Run("a read key as ?token=", func(t *testing.T) {
		reader := g.NewKey("acme", "analytics:read", "events:read")
		if err := chromedp.Do(bctx, chromedp.Navigate(site.URL+"/?token="+url.QueryEscape(reader))); err != nil {
			t.Fatalf("Chromium %s: %v", exe, err)
		}
		waitFor(`document.getElementById('status').textContent === 'live'`)
		ingest("cam-7")
		waitFor(has("analysis", "cam-7: person"))
		c := `{"id":"guide-c1","group_key":"edge-01:dog_bark","rule":{"id":"r"},"events":[{},{},{}],"mics":[],"labels":[],"started_at":"2026-03-26T08:59:45Z"}`
		if _, err := g.Server.Log().Append(context.Background(), []store.Entry{{Address: store.CompositeAddress("acme", "guide-c1"), ID: "guide-c1", Data: []byte(c)}}); err != nil {
			t.Fatal(err)
		}
		waitFor(has("composites", "edge-01:dog_bark: 3 events"))
	})

	t.Run("a JWT from the backend", func(t *testing.T) {
		if err := chromedp.Do(bctx, chromedp.Navigate(site.URL+"/")); err != nil {
			t.Fatal(err)
		}
		waitFor(`document.getElementById('status').textContent === 'live'`)
		ingest("cam-9") // not in the backend's device list: not shown
		ingest("cam-2")
		waitFor(has("analysis", "cam-2: person"))
		if shown, err := chromedp.Run(bctx, chromedp.Evaluate[bool](has("analysis", "cam-9"))); err != nil || shown {
			t.Errorf("cam-9, outside the token's devices, was shown (%v)", err)
		}
	})
}

// backendToken asks the guide's Go backend for a token, as the page does.
func backendToken(t *testing.T, backend string) string {
	t.Helper()
	resp, err := http.Get("http://" + backend + "/evtctl-token")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Token == "" {
		t.Fatalf("the Go backend's answer: %v %+v", err, body)
	}
	return body.Token
}
