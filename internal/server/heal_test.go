package server_test

// Faults that cut the gateway's NATS connection: the gateway must be ready
// again within 2 s of storage answering, without a restart, and ingest,
// query and streams must work afterwards.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"go.uber.org/goleak"

	"github.com/evtctl/evtctl/internal/cmd/serve"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/testnet"
	"github.com/evtctl/evtctl/pkg/proto"
)

// healBudget is how soon after storage answers again the gateway must be
// ready (docs/operations.md#losing-the-connection-to-storage promises 2 s).
const healBudget = 2 * time.Second

// runGateway starts a gateway with every extension, rebuilt for each
// generation as `evtctl serve` does.
func runGateway(t *testing.T, opts ...servertest.Option) *servertest.Harness {
	cfg := servertest.Config(t, opts...)
	return servertest.Start(t, cfg, serve.Components)
}

// analysisEvent is the seed analysis result (testdata/seeds) of device with a new id.
func analysisEvent(device, id string) string {
	return fmt.Sprintf(`{"deviceId":%q,"analysisId":%q,"sceneId":"s","timestamp":"2026-01-29T10:00:00Z","detections":[{"type":"person","confidence":0.9}]}`, device, id)
}

// ingestAnalysis posts one analysis event and fails unless it is stored.
func ingestAnalysis(t *testing.T, h *servertest.Harness, token, device, id string) {
	t.Helper()
	r := h.Do("POST", "/api/v1/events/analysis", token, "", analysisEvent(device, id))
	if r.Status != http.StatusAccepted {
		t.Fatalf("ingest %s: %d %s", id, r.Status, r.Body)
	}
}

// queryIDs returns the analysis ids the query API returns for device.
func queryIDs(t *testing.T, h *servertest.Harness, token, device string) string {
	t.Helper()
	r := h.Do("GET", "/api/v1/events?family=analysis&device_id="+device+"&limit=1000", token, "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("query: %d %s", r.Status, r.Body)
	}
	var page proto.EventPage
	r.JSON(t, &page)
	var ids []string
	for _, it := range page.Items {
		var ev struct {
			AnalysisID string `json:"analysisId"`
		}
		r := servertest.Response{Body: it.Event}
		r.JSON(t, &ev)
		ids = append(ids, ev.AnalysisID)
	}
	return strings.Join(ids, ",")
}

// sse is an open SSE analysis stream; its data lines arrive on lines, and
// lines is closed when the stream ends.
type sse struct {
	lines chan string
	body  io.Closer
}

func openSSE(t *testing.T, h *servertest.Harness, token, device string) *sse {
	t.Helper()
	req, _ := http.NewRequest("GET", h.URL+"/api/v1/devices/"+device+"/analysis/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("SSE: %d %s", resp.StatusCode, data)
	}
	s := &sse{lines: make(chan string, 100), body: resp.Body}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				s.lines <- data
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return s
}

// waitFor fails unless a data line containing want arrives within d.
func (s *sse) waitFor(t *testing.T, want string, d time.Duration) {
	t.Helper()
	waitContaining(t, s.lines, want, d, "the stream")
}

// waitContaining fails unless a string containing want arrives on ch
// within d, before ch is closed; what names ch in the failure.
func waitContaining(t *testing.T, ch <-chan string, want string, d time.Duration, what string) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				t.Fatalf("%s ended before %q arrived", what, want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("%q did not arrive on %s within %s", want, what, d)
		}
	}
}

// waitClosed fails unless the stream ends within d.
func (s *sse) waitClosed(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case _, ok := <-s.lines:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("stream still open after %s", d)
		}
	}
}

// waitReady polls /readyz until it answers 200 and returns how long that
// took; it fails the test after limit.
func waitReady(t *testing.T, h *servertest.Harness, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		r := h.Do("GET", "/readyz", "", "", nil)
		if r.Status == http.StatusOK {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("not ready %s after storage came back: %d %s", limit, r.Status, r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reconnects reads evtctl_storage_reconnects_total{how} from /metrics.
func reconnects(t *testing.T, h *servertest.Harness, how string) string {
	t.Helper()
	body := string(h.Do("GET", "/metrics", "", "", nil).Body)
	for l := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(l, `evtctl_storage_reconnects_total{how="`+how+`"} `); ok {
			return strings.TrimSpace(v)
		}
	}
	return "0"
}

// provokeProtocolError publishes on the gateway's own connection a subject
// longer than NATS's control line (4 KiB): the server answers "-ERR
// maximum control line exceeded" and closes the connection, and nats.go
// does not reconnect after that error.
func provokeProtocolError(t *testing.T, h *servertest.Harness) {
	t.Helper()
	bb := h.Server.Backbone()
	if err := bb.NC.Publish(strings.Repeat("a", 5000), nil); err != nil {
		t.Fatal(err)
	}
	_ = bb.NC.Flush()
	select {
	case <-bb.Lost():
		t.Logf("connection lost: %v", bb.LostErr())
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not close the connection")
	}
}

func TestHealsAfterProtocolErrorEmbedded(t *testing.T) {
	h := runGateway(t, allowLoopbackWebhooks)
	testHealsAfterProtocolError(t, h)
}

func TestHealsAfterProtocolErrorExternal(t *testing.T) {
	ns := startNATS(t, testnet.Port(t), t.TempDir())
	t.Cleanup(ns.stop)
	h := runGateway(t, allowLoopbackWebhooks, func(c *config.Config) { c.Storage.NATSURL = ns.url })
	testHealsAfterProtocolError(t, h)
}

// beforeOutage is the state an outage test starts from: an acme key tok
// that has ingested an analysis event "before" of cam-1, an SSE stream of
// cam-1 open with it, and a webhook receiver that got "hook-before".
func beforeOutage(t *testing.T, h *servertest.Harness) (tok string, live *sse, hook *receiver) {
	t.Helper()
	tok = h.NewKey("acme", proto.ScopeEventsWrite, proto.ScopeEventsRead, proto.ScopeAnalyticsRead)
	ingestAnalysis(t, h, tok, "cam-1", "before")
	live = openSSE(t, h, tok, "cam-1")
	hook = newReceiver(t, h)
	ingestAnalysis(t, h, servertest.AdminToken, "cam-w", "hook-before")
	hook.waitFor(t, "hook-before", 5*time.Second)
	return tok, live, hook
}

func testHealsAfterProtocolError(t *testing.T, h *servertest.Harness) {
	tok, old, hook := beforeOutage(t, h)

	provokeProtocolError(t, h)
	took := waitReady(t, h, healBudget)
	t.Logf("ready again %s after the connection was lost", took)
	if g := h.Server.Generation(); g != 2 {
		t.Fatalf("generation %d, want 2", g)
	}
	// The old generation's streams were closed; clients reconnect.
	old.waitClosed(t, 5*time.Second)

	live := openSSE(t, h, tok, "cam-1")
	ingestAnalysis(t, h, tok, "cam-1", "after")
	live.waitFor(t, `"after"`, 5*time.Second)
	if got := queryIDs(t, h, tok, "cam-1"); got != "before,after" {
		t.Fatalf("query after healing: %s", got)
	}
	// The webhook endpoint's consumer is picked up by the new dispatcher.
	ingestAnalysis(t, h, servertest.AdminToken, "cam-w", "hook-after")
	hook.waitFor(t, "hook-after", 5*time.Second)
	// Keys and resources are read back on the new connection.
	if r := h.Do("GET", "/api/v1/keys", servertest.AdminToken, "", nil); r.Status != http.StatusOK {
		t.Fatalf("keys: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/api/v1/endpoints", "/api/v1/rules"} {
		if r := h.Do("GET", path, servertest.AdminToken, "", nil); r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	if got := reconnects(t, h, "rebuilt"); got != "1" {
		t.Fatalf("evtctl_storage_reconnects_total{how=rebuilt} = %s, want 1", got)
	}
	// A second fault heals the same way.
	provokeProtocolError(t, h)
	waitReady(t, h, healBudget)
	ingestAnalysis(t, h, tok, "cam-1", "again")
	if got := queryIDs(t, h, tok, "cam-1"); got != "before,after,again" {
		t.Fatalf("query after the second fault: %s", got)
	}
}

// The embedded server drops the gateway's connection (as it does a slow
// consumer): NATS reconnects the same connection, nothing is rebuilt, and
// an open stream goes on.
func TestResumesAfterServerDropsConnection(t *testing.T) {
	h := runGateway(t)
	tok := h.NewKey("acme", proto.ScopeEventsWrite, proto.ScopeEventsRead, proto.ScopeAnalyticsRead)
	ingestAnalysis(t, h, tok, "cam-1", "before")
	live := openSSE(t, h, tok, "cam-1")

	bb := h.Server.Backbone()
	cid, err := bb.NC.GetClientID()
	if err != nil {
		t.Fatal(err)
	}
	if err := bb.EmbeddedServer().DisconnectClientByID(cid); err != nil {
		t.Fatal(err)
	}
	waitReady(t, h, healBudget)
	deadline := time.Now().Add(healBudget)
	for reconnects(t, h, "resumed") != "1" {
		if time.Now().After(deadline) {
			t.Fatal("the connection was not re-established")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ingestAnalysis(t, h, tok, "cam-1", "after")
	live.waitFor(t, `"after"`, 5*time.Second)
	if got := queryIDs(t, h, tok, "cam-1"); got != "before,after" {
		t.Fatalf("query: %s", got)
	}
	if g := h.Server.Generation(); g != 1 {
		t.Fatalf("generation %d: a reconnect NATS handles must not rebuild", g)
	}
}

// An external NATS server stops and starts again on the same port and
// store: the gateway is ready within 2 s of it being back, what was
// stored before is still there, and ingest and streams go on.
func TestResumesAfterExternalServerRestart(t *testing.T) {
	port, dir := testnet.Port(t), t.TempDir()
	ns := startNATS(t, port, dir)
	h := runGateway(t, allowLoopbackWebhooks, func(c *config.Config) { c.Storage.NATSURL = ns.url })
	tok, live, hook := beforeOutage(t, h)

	ns.stop()
	if r := h.Do("GET", "/readyz", "", "", nil); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz with NATS down: %d %s", r.Status, r.Body)
	}
	time.Sleep(500 * time.Millisecond) // a while down: nats.go is retrying

	ns = startNATS(t, port, dir)
	t.Cleanup(ns.stop)
	took := waitReady(t, h, healBudget)
	t.Logf("ready %s after NATS came back", took)
	ingestAnalysis(t, h, tok, "cam-1", "after")
	live.waitFor(t, `"after"`, 5*time.Second)
	ingestAnalysis(t, h, servertest.AdminToken, "cam-w", "hook-after")
	hook.waitFor(t, "hook-after", 5*time.Second)
	got := queryIDs(t, h, tok, "cam-1")
	if got != "before,after" {
		t.Fatalf("query after the restart: %s", got)
	}
	if g := h.Server.Generation(); g != 1 {
		t.Fatalf("generation %d: a reconnect NATS handles must not rebuild", g)
	}
	// Stop the gateway while NATS still runs (cleanups run in reverse).
	shutdown(t, h)
}

func shutdown(t *testing.T, h *servertest.Harness) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if err := h.Server.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	t.Logf("shutdown took %s", time.Since(start))
}

// allowLoopbackWebhooks lets webhooks reach the test's receiver.
func allowLoopbackWebhooks(c *config.Config) { c.Webhooks.AllowCIDRs = []string{"127.0.0.0/8"} }

// receiver is a webhook endpoint of the admin's tenant; the bodies it
// receives arrive on bodies.
type receiver struct{ bodies chan string }

func newReceiver(t *testing.T, h *servertest.Harness) *receiver {
	t.Helper()
	rc := &receiver{bodies: make(chan string, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		select {
		case rc.bodies <- string(data):
		default:
		}
	}))
	t.Cleanup(srv.Close)
	r := h.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "hook", "type": "webhook", "url": srv.URL})
	if r.Status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %s", r.Status, r.Body)
	}
	return rc
}

// waitFor fails unless a delivery containing want arrives within d.
func (rc *receiver) waitFor(t *testing.T, want string, d time.Duration) {
	t.Helper()
	waitContaining(t, rc.bodies, want, d, "the webhook")
}

// An external server comes back refusing the gateway's credentials: NATS
// closes the connection for good after the second refusal, the gateway
// keeps trying a new connection (storage unreachable for it), and is
// ready within 2 s of the server taking its credentials again.
func TestHealsAfterExternalServerRefusedConnection(t *testing.T) {
	port, dir := testnet.Port(t), t.TempDir()
	ns := startNATSAuth(t, port, dir, "pw-1")
	h := runGateway(t, func(c *config.Config) { c.Storage.NATSURL = fmt.Sprintf("nats://evt:pw-1@127.0.0.1:%d", port) })
	tok := h.NewKey("acme", proto.ScopeEventsWrite, proto.ScopeEventsRead, proto.ScopeAnalyticsRead)
	ingestAnalysis(t, h, tok, "cam-1", "before")
	bb := h.Server.Backbone()

	ns.stop()
	ns = startNATSAuth(t, port, dir, "pw-2")
	select {
	case <-bb.Lost():
		t.Logf("connection lost: %v", bb.LostErr())
	case <-time.After(10 * time.Second):
		t.Fatal("NATS did not give up the connection")
	}
	time.Sleep(1500 * time.Millisecond) // the gateway retries meanwhile
	if r := h.Do("GET", "/readyz", "", "", nil); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz while refused: %d %s", r.Status, r.Body)
	}
	ns.stop()
	ns = startNATSAuth(t, port, dir, "pw-1")
	t.Cleanup(ns.stop)
	took := waitReady(t, h, healBudget)
	t.Logf("ready %s after NATS took the credentials again", took)
	ingestAnalysis(t, h, tok, "cam-1", "after")
	if got := queryIDs(t, h, tok, "cam-1"); got != "before,after" {
		t.Fatalf("query: %s", got)
	}
	if got := reconnects(t, h, "rebuilt"); got != "1" {
		t.Fatalf("evtctl_storage_reconnects_total{how=rebuilt} = %s, want 1", got)
	}
	shutdown(t, h)
}

// natsServer is an external NATS server with JetStream on a loopback port.
type natsServer struct {
	ns  *natsserver.Server
	url string
}

func startNATS(t *testing.T, port int, dir string) *natsServer {
	t.Helper()
	return startNATSWith(t, port, dir, nil)
}

// startNATSAuth starts a server accepting user evt with password.
func startNATSAuth(t *testing.T, port int, dir, password string) *natsServer {
	t.Helper()
	return startNATSWith(t, port, dir, func(o *natsserver.Options) { o.Username, o.Password = "evt", password })
}

func startNATSWith(t *testing.T, port int, dir string, opt func(*natsserver.Options)) *natsServer {
	t.Helper()
	o := &natsserver.Options{
		Host:      "127.0.0.1",
		Port:      port,
		JetStream: true,
		StoreDir:  filepath.Join(dir, "jetstream"),
		NoSigs:    true,
		NoLog:     true,
	}
	if opt != nil {
		opt(o)
	}
	ns, err := natsserver.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	return &natsServer{ns: ns, url: fmt.Sprintf("nats://127.0.0.1:%d", port)}
}

func (n *natsServer) stop() {
	n.ns.Shutdown()
	n.ns.WaitForShutdown()
}

// Generations that were replaced leave no goroutine behind: after two
// rebuilds with a stream open, Shutdown ends everything.
func TestRebuildLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := runGateway(t)
	tok := h.NewKey("acme", proto.ScopeEventsWrite, proto.ScopeEventsRead, proto.ScopeAnalyticsRead)
	ingestAnalysis(t, h, tok, "cam-1", "before")
	stream := openSSE(t, h, tok, "cam-1")
	for range 2 {
		provokeProtocolError(t, h)
		waitReady(t, h, healBudget)
	}
	stream.waitClosed(t, 5*time.Second)
	stream.body.Close()
	shutdown(t, h)
	http.DefaultClient.CloseIdleConnections()
}
