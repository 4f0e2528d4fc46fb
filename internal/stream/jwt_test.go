package stream_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/pkg/proto"
)

const testJWTSecret = "stream-test-secret-0123456789abcdef0123456789"

func withJWT(c *config.Config) { c.Auth.JWT.Secrets = []string{testJWTSecret} }

func mintJWT(t *testing.T, exp time.Time, extra jwt.MapClaims) string {
	t.Helper()
	c := jwt.MapClaims{"sub": "acme", "scope": "events:read device:read", "exp": exp.Unix()}
	for k, v := range extra {
		c[k] = v
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(testJWTSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A stream opened with a JWT closes within a second of its exp: the
// composite WebSocket (token in the Authorization header) with 1008
// "token expired", the SSE stream (token in ?access_token=) by ending.
// API keys keep working beside JWTs.
func TestJWTStreamsCloseAtExp(t *testing.T) {
	e := start(t, withJWT)
	exp := time.Now().Add(2 * time.Second).Truncate(time.Second)
	if time.Until(exp) < 1200*time.Millisecond {
		exp = exp.Add(time.Second)
	}
	tok := mintJWT(t, exp, nil)

	ws := dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events"), tok)
	if m := readText(t, ws); m != "hello" {
		t.Fatalf("first message %q", m)
	}
	br, _ := rawSSE(t, e.Harness, "/api/v1/devices/analysis/stream/all?access_token="+tok, "")
	if head := readUntilBlank(t, br); !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("sse: %q", head)
	}
	readUntilBlank(t, br) // retry:
	key := e.NewKey("acme", proto.ScopeEventsRead)
	other := dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events"), key)
	readText(t, other)

	expectClosedAt(t, exp, "token expired", br, map[string]*websocket.Conn{"websocket": ws})
	// The expired token is refused; the API key's stream is untouched.
	if r := e.Do("GET", "/api/v1/events", tok, "", nil); r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "expired") {
		t.Errorf("request with the expired token: %d %s", r.Status, r.Body)
	}
	appendComposite(t, e.Harness, "acme", "after-exp")
	if m := nextEvent(t, other); !strings.Contains(m, "after-exp") {
		t.Errorf("the API key's stream got %q", m)
	}
}

// A JWT with a devices claim opens only those devices' streams, and its
// all-devices stream carries only them.
func TestJWTDeviceList(t *testing.T) {
	e := start(t, withJWT)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	tok := mintJWT(t, time.Now().Add(time.Hour), jwt.MapClaims{"devices": []string{"cam-1"}})

	if r := e.Do("GET", "/api/v1/devices/cam-2/analysis/stream", tok, "", nil); r.Status != http.StatusForbidden {
		t.Fatalf("another device's stream: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/v1/events", "", "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.Status)
	}
	one, _ := rawSSE(t, e.Harness, "/api/v1/devices/cam-1/analysis/stream", tok)
	all, _ := rawSSE(t, e.Harness, "/api/v1/devices/analysis/stream/all?access_token="+tok, "")
	for _, r := range []struct {
		name string
		br   func() string
	}{{"one", func() string { return readUntilBlank(t, one) }}, {"all", func() string { return readUntilBlank(t, all) }}} {
		if head := r.br(); !strings.HasPrefix(head, "HTTP/1.1 200") {
			t.Fatalf("%s: %q", r.name, head)
		}
		r.br() // retry:
	}
	for i, dev := range []string{"cam-2", "cam-1"} {
		if resp := e.Do("POST", "/api/v1/events/analysis", w, "", analysis(dev, i)); resp.Status != 202 {
			t.Fatal(resp.Status)
		}
	}
	for name, got := range map[string]string{"one": readUntilBlank(t, one), "all": readUntilBlank(t, all)} {
		if !strings.Contains(got, `"deviceId":"cam-1"`) {
			t.Errorf("%s: first event %q, want cam-1's (cam-2 is not in the token)", name, got)
		}
	}
}

// The REST routes honour a JWT's device list too: a query reads only those
// devices' events (another device named is 403), and the composite routes
// and WebSocket, whose events gather every device's, are refused.
func TestJWTDeviceListOnREST(t *testing.T) {
	e := start(t, withJWT)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	tok := mintJWT(t, time.Now().Add(time.Hour), jwt.MapClaims{"devices": []string{"cam-1", "cam-3"}})
	for i, dev := range []string{"cam-1", "cam-2", "cam-3"} {
		if resp := e.Do("POST", "/api/v1/events/analysis", w, "", analysis(dev, i)); resp.Status != 202 {
			t.Fatal(resp.Status)
		}
	}
	r := e.Do("GET", "/api/v1/events", tok, "", nil)
	if r.Status != 200 || strings.Contains(string(r.Body), `"cam-2"`) ||
		!strings.Contains(string(r.Body), `"cam-1"`) || !strings.Contains(string(r.Body), `"cam-3"`) {
		t.Fatalf("query: %d %s", r.Status, r.Body)
	}
	if r := e.Do("GET", "/api/v1/events?device_id=cam-3", tok, "", nil); r.Status != 200 || strings.Contains(string(r.Body), `"cam-1"`) {
		t.Fatalf("query of a listed device: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/api/v1/events?device_id=cam-2", "/api/v1/composite-events", "/api/v1/composite-events/composite_evt_x"} {
		if r := e.Do("GET", path, tok, "", nil); r.Status != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", path, r.Status, r.Body)
		}
	}
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL(e.Harness, "/api/v1/ws/composite-events?access_token="+tok), nil); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("composite WebSocket: %v, want 403", err)
	}
	// Without a device list the same routes answer.
	full := mintJWT(t, time.Now().Add(time.Hour), nil)
	if r := e.Do("GET", "/api/v1/composite-events", full, "", nil); r.Status != 200 {
		t.Errorf("composites without a device list: %d", r.Status)
	}
}
