package stream_test

import (
	"encoding/json"
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

// At most limits.ws_per_user WebSockets per owner, composite and endpoint
// sockets together (an endpoint's socket counts for the endpoint's owner);
// the next gets 429 with Retry-After, other owners are not affected, and
// closing one frees its slot.
func TestWebSocketsPerUserQuota(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Limits.WSPerUser = 3 })
	servertest.WebSocketEndpoint(t, e.eps, "ep-q", "acme")
	a1 := e.NewKey("acme", proto.ScopeEventsRead)
	a2 := e.NewKey("acme", proto.ScopeEventsRead)
	g := e.NewKey("globex", proto.ScopeEventsRead)
	composite := wsURL(e.Harness, "/api/v1/ws/composite-events")

	first := dialWS(t, composite, a1)
	dialWS(t, composite, a2)
	dialWS(t, wsURL(e.Harness, "/event-service/ws?endpoint_id=ep-q"), "")

	refused := func(url, token string) {
		t.Helper()
		hdr := http.Header{}
		if token != "" {
			hdr.Set("Authorization", "Bearer "+token)
		}
		c, resp, err := websocket.DefaultDialer.Dial(url, hdr)
		if err == nil {
			c.Close()
			t.Fatalf("%s: connected past the quota", url)
		}
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: %v %v, want 429 with Retry-After", url, err, resp)
		}
		body, _ := io.ReadAll(resp.Body)
		var eb proto.ErrorBody
		if json.Unmarshal(body, &eb) != nil || eb.Error.Code != proto.CodeTooManyStreams || !strings.Contains(eb.Error.Message, "limits.ws_per_user") {
			t.Fatalf("body %s", body)
		}
	}
	refused(composite, a1)
	refused(wsURL(e.Harness, "/event-service/ws?endpoint_id=ep-q"), "")
	dialWS(t, composite, g) // another owner

	// The SSE quota is separate.
	sr := e.NewKey("acme", proto.ScopeDeviceRead)
	br, _ := rawSSE(t, e.Harness, "/api/v1/devices/analysis/stream/all", sr)
	if head := readUntilBlank(t, br); !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("sse: %q", head)
	}

	first.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, _, err := websocket.DefaultDialer.Dial(composite, http.Header{"Authorization": {"Bearer " + a1}})
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not freed after a close: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
