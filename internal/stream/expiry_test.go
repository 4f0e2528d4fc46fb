package stream_test

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

// A key's open streams close within a second of its expires_at, like on
// revocation: the composite WebSocket and the keyed endpoint WebSocket with
// close code 1008 "API key expired", the SSE stream by ending. A stream of
// a key without expiry stays open.
func TestExpiryClosesStreamsWithinASecond(t *testing.T) {
	e := start(t, func(c *config.Config) { c.WS.EndpointRequiresToken = true })
	servertest.WebSocketEndpoint(t, e.eps, "ep-exp", "acme")

	expiresAt := time.Now().Add(1500 * time.Millisecond).UTC()
	var key proto.APIKey
	r := e.Do("POST", "/api/v1/keys", servertest.AdminToken, "", map[string]any{
		"name": "short-lived", "owner": "acme", "scopes": []string{"events:read", "device:read"}, "expires_at": expiresAt.Format(time.RFC3339Nano)})
	if r.Status != http.StatusCreated {
		t.Fatalf("create key: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &key)
	if key.ExpiresAt == nil || !key.ExpiresAt.Equal(expiresAt.Truncate(time.Nanosecond)) {
		t.Fatalf("expires_at %v, want %v", key.ExpiresAt, expiresAt)
	}
	lasting := e.NewKey("acme", proto.ScopeEventsRead)

	composite := dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events"), key.Token)
	if m := readText(t, composite); m != "hello" {
		t.Fatalf("first message %q", m)
	}
	endpointWS := dialWS(t, wsURL(e.Harness, "/event-service/ws?endpoint_id=ep-exp"), key.Token)
	other := dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events"), lasting)
	readText(t, other)
	br, _ := rawSSE(t, e.Harness, "/api/v1/devices/analysis/stream/all", key.Token)
	if head := readUntilBlank(t, br); !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("sse: %q", head)
	}
	readUntilBlank(t, br) // retry:

	expectClosedAt(t, expiresAt, "API key expired", br, map[string]*websocket.Conn{
		"composite websocket": composite, "endpoint websocket": endpointWS})
	// The key's other uses are refused, and a stream of another key is
	// untouched.
	if r := e.Do("GET", "/api/v1/events", key.Token, "", nil); r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "expired") {
		t.Errorf("request with the expired key: %d %s", r.Status, r.Body)
	}
	appendComposite(t, e.Harness, "acme", "after-expiry")
	if m := nextEvent(t, other); !strings.Contains(m, "after-expiry") {
		t.Errorf("the other key's stream got %q", m)
	}
}

// expectClosedAt reads every stream until it ends and checks that each
// ended within a second of at: the WebSockets with close 1008 and text,
// the SSE stream sse (when not nil) by EOF.
func expectClosedAt(t *testing.T, at time.Time, text string, sse *bufio.Reader, wss map[string]*websocket.Conn) {
	t.Helper()
	type closed struct {
		name string
		at   time.Time
		err  error
	}
	done := make(chan closed, len(wss)+1)
	for name, c := range wss {
		_ = c.SetReadDeadline(at.Add(5 * time.Second))
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					done <- closed{name, time.Now(), err}
					return
				}
			}
		}()
	}
	n := len(wss)
	if sse != nil {
		n++
		go func() {
			for {
				if _, err := sse.ReadString('\n'); err != nil {
					done <- closed{"sse", time.Now(), err}
					return
				}
			}
		}()
	}
	for range n {
		c := <-done
		if late := c.at.Sub(at); late > time.Second || late < -50*time.Millisecond {
			t.Errorf("%s closed %v after the expiry, want within (0, 1s]: %v", c.name, late, c.err)
		}
		if c.name == "sse" {
			if !errors.Is(c.err, io.EOF) {
				t.Errorf("sse ended with %v, want EOF", c.err)
			}
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(c.err, &ce) || ce.Code != websocket.ClosePolicyViolation || ce.Text != text {
			t.Errorf("%s: %v, want close 1008 %q", c.name, c.err, text)
		}
	}
}
