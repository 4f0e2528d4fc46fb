package stream_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	sse "github.com/tmaxmax/go-sse"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/stream"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

type env struct {
	*servertest.Harness
	svc *stream.Service
	eps *endpoint.Service
}

func start(t *testing.T, opts ...servertest.Option) *env {
	t.Helper()
	g := servertest.RunStreams(t, opts...)
	return &env{Harness: g.Harness, svc: g.Streams, eps: g.Endpoints}
}

func wsURL(h *servertest.Harness, path string) string {
	return "ws" + strings.TrimPrefix(h.URL, "http") + path
}

func dialWS(t *testing.T, url, token string) *websocket.Conn {
	t.Helper()
	hdr := http.Header{}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	c, resp, err := websocket.DefaultDialer.Dial(url, hdr)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("message type %d", typ)
	}
	return string(data)
}

// nextEvent skips the composite WebSocket's empty keep-alives.
func nextEvent(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	for {
		if m := readText(t, c); m != "" {
			return m
		}
	}
}

func composite(id string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"group_key":"edge-01:normal_speech_female","rule":{"id":"rule_001"},"events":[],"mics":[],"labels":[],"started_at":"2026-03-26T08:59:45Z"}`, id))
}

// appendComposite stores a composite the way any producer would.
func appendComposite(t *testing.T, h *servertest.Harness, owner, id string) {
	t.Helper()
	_, err := h.Server.Log().Append(context.Background(), []store.Entry{{Address: store.CompositeAddress(owner, id), ID: id, Data: composite(id)}})
	if err != nil {
		t.Fatal(err)
	}
}

func analysis(device string, n int) string {
	return fmt.Sprintf(`{"deviceId":%q,"analysisId":"a-%d","sceneId":"s","timestamp":"2026-01-29T10:00:%02dZ","detections":[{"type":"person","confidence":0.9}]}`, device, n, n%60)
}

func TestCompositeWebSocket(t *testing.T) {
	e := start(t, func(c *config.Config) { c.WS.Keepalive = time.Second })
	acme := e.NewKey("acme", proto.ScopeEventsRead)
	c := dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events"), acme)
	if m := readText(t, c); m != "hello" {
		t.Fatalf("first message %q, want hello", m)
	}
	appendComposite(t, e.Harness, "other", "c-other")
	appendComposite(t, e.Harness, "acme", "c1")
	if m := nextEvent(t, c); m != string(composite("c1")) {
		t.Fatalf("got %s", m)
	}
	// Empty keep-alive within the configured interval.
	if m := readText(t, c); m != "" {
		t.Fatalf("expected keep-alive, got %q", m)
	}
	// Ping frames are answered.
	pong := make(chan string, 1)
	c.SetPongHandler(func(d string) error { pong <- d; return nil })
	if err := c.WriteControl(websocket.PingMessage, []byte("p1"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case d := <-pong:
		if d != "p1" {
			t.Fatalf("pong %q", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pong")
	}
}

func TestCompositeResumeAfter(t *testing.T) {
	e := start(t)
	acme := e.NewKey("acme", proto.ScopeEventsRead)
	for i := 1; i <= 3; i++ {
		appendComposite(t, e.Harness, "acme", fmt.Sprintf("c%d", i))
	}
	c := dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events?after=c1"), acme)
	if m := readText(t, c); m != "hello" {
		t.Fatalf("first %q", m)
	}
	appendComposite(t, e.Harness, "acme", "c4")
	for _, want := range []string{"c2", "c3", "c4"} {
		var got struct{ ID string }
		_ = json.Unmarshal([]byte(nextEvent(t, c)), &got)
		if got.ID != want {
			t.Fatalf("got %s, want %s", got.ID, want)
		}
	}
	_, resp, err := websocket.DefaultDialer.Dial(wsURL(e.Harness, "/api/v1/ws/composite-events?after=nope"), http.Header{"Authorization": {"Bearer " + acme}})
	if err == nil || resp.StatusCode != 404 {
		t.Fatalf("unknown after: %v", err)
	}
}

// rawSSE opens an SSE stream over a plain TCP connection and returns a
// reader positioned after the response head.
func rawSSE(t *testing.T, h *servertest.Harness, path, token string, hdr ...string) (*bufio.Reader, net.Conn) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
	if token != "" {
		req += "Authorization: Bearer " + token + "\r\n"
	}
	for _, hl := range hdr {
		req += hl + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	return bufio.NewReader(conn), conn
}

func readUntilBlank(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v (so far %q)", err, b.String())
		}
		b.WriteString(line)
		if line == "\n" || line == "\r\n" {
			return b.String()
		}
	}
}

// loneCursor is the cursor of an event stored alone as the n-th message of
// the log (see internal/store/position.go).
func loneCursor(n int) string { return strconv.Itoa(n<<8 | 255) }

func TestSSEExactBytes(t *testing.T) {
	e := start(t)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	r := e.NewKey("acme", proto.ScopeDeviceRead)
	br, _ := rawSSE(t, e.Harness, "/api/v1/devices/dev-1/analysis/stream", r)
	head := readUntilBlank(t, br)
	if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") || !strings.Contains(head, "Content-Type: text/event-stream\r\n") {
		t.Fatalf("head %q", head)
	}
	if got := readUntilBlank(t, br); got != "retry: 3000\n\n" {
		t.Fatalf("retry field %q", got)
	}
	if resp := e.Do("POST", "/api/v1/events/analysis", w, "", analysis("dev-2", 1)); resp.Status != 202 {
		t.Fatal(resp.Status)
	}
	if resp := e.Do("POST", "/api/v1/events/analysis", w, "", analysis("dev-1", 2)); resp.Status != 202 {
		t.Fatal(resp.Status)
	}
	got := readUntilBlank(t, br)
	want := "id: " + loneCursor(2) + "\nevent: analysis_result\ndata: " + analysis("dev-1", 2) + "\n\n"
	if got != want {
		t.Fatalf("event bytes\n got %q\nwant %q", got, want)
	}
}

func TestSSEResumeNoGapNoDuplicate(t *testing.T) {
	// A short retry: the client waits what the server's retry: field says.
	e := start(t, func(c *config.Config) { c.SSE.Retry = 50 * time.Millisecond })
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	r := e.NewKey("acme", proto.ScopeAnalyticsRead)

	const total = 300
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.URL+"/api/v1/devices/analysis/stream/all?access_token="+r, nil)
	client := &sse.Client{Backoff: sse.Backoff{InitialInterval: 10 * time.Millisecond}}
	conn := client.NewConnection(req)
	var mu sync.Mutex
	var ids []string
	done := make(chan struct{})
	conn.SubscribeEvent("analysis_result", func(ev sse.Event) {
		mu.Lock()
		defer mu.Unlock()
		var a struct{ AnalysisID string }
		_ = json.Unmarshal([]byte(ev.Data), &a)
		ids = append(ids, a.AnalysisID)
		if len(ids) == total {
			close(done)
		}
	})
	go func() {
		if err := conn.Connect(); err != nil && ctx.Err() == nil {
			t.Logf("client gave up: %v", err)
		}
	}()
	testkit.Eventually(t, 10*time.Second, "one session in the hub", func() bool { return e.svc.Hub().Count() == 1 })

	go func() {
		for i := 0; i < total; i++ {
			e.Do("POST", "/api/v1/events/analysis", w, "", analysis("dev-1", i))
			if i%50 == 25 {
				// Drop every stream mid-flight: the client reconnects
				// with Last-Event-ID and must miss nothing.
				e.svc.Hub().CloseAll("test")
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		mu.Lock()
		t.Fatalf("received %d of %d", len(ids), total)
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != total {
		t.Fatalf("received %d, want %d (duplicates)", len(ids), total)
	}
	for i, id := range ids {
		if id != "a-"+strconv.Itoa(i) {
			t.Fatalf("event %d is %s: gap or reorder", i, id)
		}
	}
}

func TestSSEGapWhenCursorTooOld(t *testing.T) {
	e := start(t)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	r := e.NewKey("acme", proto.ScopeDeviceRead)
	for i := 0; i < 5; i++ {
		e.Do("POST", "/api/v1/events/analysis", w, "", analysis("dev-1", i))
	}
	// Retention removed the first three events.
	if err := e.Server.Log().Stream().Purge(context.Background(), purgeKeep(2)); err != nil {
		t.Fatal(err)
	}
	br, _ := rawSSE(t, e.Harness, "/api/v1/devices/dev-1/analysis/stream", r, "Last-Event-ID: "+loneCursor(1))
	readUntilBlank(t, br) // head
	readUntilBlank(t, br) // retry
	gap := readUntilBlank(t, br)
	if !strings.HasPrefix(gap, "event: gap\ndata: ") || !strings.Contains(gap, `"resumed_from_cursor":"`+loneCursor(4)+`"`) {
		t.Fatalf("gap %q", gap)
	}
	if ev := readUntilBlank(t, br); !strings.HasPrefix(ev, "id: "+loneCursor(4)+"\n") {
		t.Fatalf("first event after gap %q", ev)
	}
}

// A cursor before the first event of a log that never lost anything
// (Last-Event-ID: 1, or any position of message 1 before its event) is no
// gap: the stream starts with the first event, without `event: gap`.
func TestSSENoGapWhenNothingWasRemoved(t *testing.T) {
	e := start(t)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	r := e.NewKey("acme", proto.ScopeDeviceRead)
	for i := 0; i < 2; i++ {
		e.Do("POST", "/api/v1/events/analysis", w, "", analysis("dev-1", i))
	}
	for _, cursor := range []string{"1", "255", "510"} {
		br, _ := rawSSE(t, e.Harness, "/api/v1/devices/dev-1/analysis/stream", r, "Last-Event-ID: "+cursor)
		readUntilBlank(t, br) // head
		readUntilBlank(t, br) // retry
		if ev := readUntilBlank(t, br); !strings.HasPrefix(ev, "id: "+loneCursor(1)+"\n") {
			t.Fatalf("Last-Event-ID %s: first frame %q, want the first event", cursor, ev)
		}
	}
}

func TestSSELimitsAndScopes(t *testing.T) {
	e := start(t)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	r := e.NewKey("acme", proto.ScopeDeviceRead)
	wrongScope := e.NewKey("acme", proto.ScopeEventsRead)
	e.Do("POST", "/api/v1/events/analysis", w, "", analysis("dev-1", 1))
	other := e.NewKey("other", proto.ScopeDeviceRead)

	for _, tc := range []struct {
		name, path, token string
		status            int
	}{
		{"no token", "/api/v1/devices/analysis/stream/all", "", 401},
		{"wrong scope", "/api/v1/devices/analysis/stream/all", wrongScope, 403},
		{"other tenant's device", "/api/v1/devices/dev-1/analysis/stream", other, 404},
		{"bad cursor", "/api/v1/devices/analysis/stream/all?last_event_id=abc", r, 400},
	} {
		resp := e.Do("GET", tc.path, tc.token, "", nil)
		if resp.Status != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, resp.Status, tc.status, resp.Body)
		}
	}

	for i := 0; i < 10; i++ {
		br, _ := rawSSE(t, e.Harness, "/api/v1/devices/analysis/stream/all", r)
		if head := readUntilBlank(t, br); !strings.HasPrefix(head, "HTTP/1.1 200") {
			t.Fatalf("stream %d: %q", i, head)
		}
	}
	resp := e.Do("GET", "/api/v1/devices/analysis/stream/all", r, "", nil)
	if resp.Status != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("11th stream: %d %v", resp.Status, resp.Header)
	}
	// Another user is not affected by acme's quota.
	br, _ := rawSSE(t, e.Harness, "/api/v1/devices/analysis/stream/all", other)
	if head := readUntilBlank(t, br); !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("other user: %q", head)
	}
}

func TestRevokeClosesStreamsWithinASecond(t *testing.T) {
	e := start(t)
	var key proto.APIKey
	e.Do("POST", "/api/v1/keys", servertest.AdminToken, "", map[string]any{"name": "k", "owner": "acme", "scopes": []string{"events:read", "device:read"}}).JSON(t, &key)
	c := dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events"), key.Token)
	readText(t, c)
	br, _ := rawSSE(t, e.Harness, "/api/v1/devices/analysis/stream/all", key.Token)
	readUntilBlank(t, br)
	readUntilBlank(t, br)

	start := time.Now()
	if r := e.Do("DELETE", "/api/v1/keys/"+key.ID, servertest.AdminToken, "", nil); r.Status != 204 {
		t.Fatal(r.Status)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _, err := c.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != 1008 {
		t.Fatalf("websocket close: %v", err)
	}
	if _, err := br.ReadString('\n'); err != io.EOF {
		t.Fatalf("sse end: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("closed after %v", d)
	}
}

func TestEndpointWebSocketAppliesFilters(t *testing.T) {
	e := start(t)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	ctx := context.Background()
	now := time.Now().UTC()
	ep := servertest.WebSocketEndpoint(t, e.eps, "ep1", "acme")
	f := proto.EventFilter{ID: "f1", Owner: "acme", EndpointID: "ep1", WatchlistIDs: []string{"82e7d0c3-6e69-425b-ab79-faa19c2d9fe7"}, CreatedAt: now, UpdatedAt: now}
	if err := e.eps.Store().FilterSet.Create(ctx, f.ID, f); err != nil {
		t.Fatal(err)
	}
	if r := e.Do("GET", "/event-service/ws?endpoint_id=nope", "", "", nil); r.Status != 404 {
		t.Fatalf("unknown endpoint: %d", r.Status)
	}
	c := dialWS(t, wsURL(e.Harness, "/event-service/ws?endpoint_id=ep1"), "")

	ident := `{"type":"identification","camera":{"id":"cam-1","agent_id":"ag-1"},"candidates":[{"profile_groups":[{"id":"%s"}]}],"event":{"id":"%s","detection_date":"2024-05-29 10:48:27.364000+00:00"}}`
	e.Do("POST", "/api/v1/events/identification", w, "", fmt.Sprintf(ident, "other-list", "e1"))
	e.Do("POST", "/api/v1/events/analysis", w, "", analysis("dev-1", 1))
	e.Do("POST", "/api/v1/events/identification", w, "", fmt.Sprintf(ident, "82e7d0c3-6e69-425b-ab79-faa19c2d9fe7", "e2"))
	var got struct{ Event struct{ ID string } }
	_ = json.Unmarshal([]byte(nextEvent(t, c)), &got)
	if got.Event.ID != "e2" {
		t.Fatalf("got event %+v", got)
	}
	// Disabling the endpoint closes its sockets.
	ep.Enabled = false
	if err := e.eps.Store().EndpointSet.Put(ctx, ep.ID, ep); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, _, err := c.ReadMessage(); err == nil {
		t.Fatal("socket still open")
	}
}

func TestSlowConsumerIsDroppedWithoutDelayingOthers(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Limits.QueueMessages, c.Limits.QueueBytes = 256, 1<<20 })
	r := e.NewKey("acme", proto.ScopeEventsRead)

	// The stalled client never reads after the handshake.
	stalled := dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events"), r)
	fast := dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events"), r)
	readText(t, fast)
	received := make(chan int, 1)
	go func() {
		n := 0
		for {
			_ = fast.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, m, err := fast.ReadMessage()
			if err != nil {
				received <- n
				return
			}
			if len(m) > 0 {
				if n++; n == 4000 {
					received <- n
					return
				}
			}
		}
	}()
	// 16 MB in all: far more than the stalled client's socket buffers.
	pad := strings.Repeat("x", 4000)
	for b := 0; b < 40; b++ {
		var entries []store.Entry
		for i := 0; i < 100; i++ {
			id := fmt.Sprintf("c%d-%d", b, i)
			entries = append(entries, store.Entry{Address: store.CompositeAddress("acme", id), ID: id,
				Data: []byte(fmt.Sprintf(`{"id":%q,"pad":%q}`, id, pad))})
		}
		if _, err := e.Server.Log().Append(context.Background(), entries); err != nil {
			t.Fatal(err)
		}
	}
	if n := <-received; n != 4000 {
		t.Fatalf("fast client got %d of 4000", n)
	}
	testkit.Eventually(t, 10*time.Second, "one session in the hub", func() bool { return e.svc.Hub().Count() == 1 })
	// The stalled client finds the close frame after the data it was sent.
	var code int
	for {
		_ = stalled.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := stalled.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				code = ce.Code
			}
			break
		}
	}
	if code != 4008 && code != websocket.CloseAbnormalClosure {
		t.Fatalf("stalled client closed with %d", code)
	}
	if !strings.Contains(string(e.Do("GET", "/metrics", "", "", nil).Body), `evtctl_stream_queue_overflows_total{transport="ws_composite"} 1`) {
		t.Error("overflow not counted")
	}
}

func TestNodeConnectionLimit(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Limits.MaxConnections = 2 })
	r := e.NewKey("acme", proto.ScopeEventsRead)
	dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events"), r)
	dialWS(t, wsURL(e.Harness, "/api/v1/ws/composite-events"), r)
	_, resp, err := websocket.DefaultDialer.Dial(wsURL(e.Harness, "/api/v1/ws/composite-events"), http.Header{"Authorization": {"Bearer " + r}})
	if err == nil || resp.StatusCode != 503 {
		t.Fatalf("third connection: %v", err)
	}
}
