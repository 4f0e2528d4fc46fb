package loadtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/loadtest"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/stream"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

// workerEnv carries a worker's Target when this test binary is started as
// a load-test worker (see TestWorkersMergeIntoOneReport).
const workerEnv = "LOADTEST_TEST_WORKER_TARGET"

func TestMain(m *testing.M) {
	if s := os.Getenv(workerEnv); s != "" {
		var t loadtest.Target
		if err := json.Unmarshal([]byte(s), &t); err != nil {
			panic(err)
		}
		if err := loadtest.RunWorker(context.Background(), t, os.Stdin, os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	testkit.VerifyNoLeaks(m)
}

type env struct {
	*servertest.Harness
	svc *stream.Service
}

func start(t *testing.T, opts ...servertest.Option) *env {
	t.Helper()
	g := servertest.RunStreams(t, opts...)
	return &env{Harness: g.Harness, svc: g.Streams}
}

func (e *env) ws(path string) string { return "ws" + strings.TrimPrefix(e.URL, "http") + path }

func sources(t *testing.T, s string) []netip.Addr {
	a, err := loadtest.ParseSources(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Composites published over HTTP reach every WebSocket subscriber; every
// one is counted with its latency, hello and keep-alives are not.
func TestWebSocketFanOutEndToEnd(t *testing.T) {
	e := start(t, func(c *config.Config) { c.WS.Keepalive = 200 * time.Millisecond })
	r := e.NewKey("acme", proto.ScopeEventsRead)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	// The first publish starts the server's lazy goroutines: before the
	// leak baseline.
	warm := strings.NewReplacer("{{run}}", "warm", "{{seq}}", "0", "{{now}}", "2026-11-23T10:00:00Z", "{{ts}}", "0").Replace(loadtest.DefaultPublishBody("/events/composite"))
	if resp := e.Do("POST", "/api/v1/events/composite", w, "", warm); resp.Status != 202 {
		t.Fatalf("warm-up publish: %d %s", resp.Status, resp.Body)
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	const conns = 20
	pubURL := e.URL + "/api/v1/events/composite"
	rep, err := loadtest.Run(context.Background(), loadtest.Options{
		Target: loadtest.Target{Transport: loadtest.WS, URL: e.ws("/api/v1/ws/composite-events"), Conns: conns,
			Tokens: []string{r}, Sources: sources(t, "127.0.0.2-127.0.0.4")},
		// The hub's keep-alive tick runs every second: the idle phase
		// sees at least one.
		Idle: 1500 * time.Millisecond, Duration: time.Second, Drain: 5 * time.Second,
		Publish:       &loadtest.Publish{URL: pubURL, Token: w, Body: loadtest.DefaultPublishBody(pubURL), Rate: 20},
		ServerMetrics: e.URL + "/metrics",
	})
	if err != nil {
		t.Fatal(err)
	}
	c, m, p := rep.Connections, rep.Messages, rep.Publish
	if c.Attempted != conns || c.Established != conns || c.Rejected != 0 || c.DialErrors != 0 || c.Disconnects != 0 {
		t.Fatalf("connections %+v samples %v", c, rep.Samples)
	}
	if p.OK < 15 || p.OK != p.Attempted || len(p.Errors) != 0 {
		t.Fatalf("publish %+v", p)
	}
	if m.Deliveries != p.OK*conns || m.ExpectedDeliveries != m.Deliveries || *m.DeliveryRatio != 1 {
		t.Fatalf("deliveries %+v, published %d", m, p.OK)
	}
	if rep.Latency.Count != m.Deliveries || rep.Latency.P50 <= 0 || rep.Latency.Max < rep.Latency.P99 {
		t.Errorf("latency %+v", rep.Latency)
	}
	// hello + deliveries + keep-alives (every 200 ms for over a second).
	if m.KeepAlives < conns || m.Total != conns+m.Deliveries+m.KeepAlives {
		t.Errorf("messages %+v", m)
	}
	if rep.Connect.Count != conns || rep.FirstMessage.Count != conns || m.ConnsWithMessage != conns {
		t.Errorf("connect %+v first message %+v", rep.Connect, rep.FirstMessage)
	}
	if rep.Memory == nil || rep.Memory.BeforeBytes <= 0 || rep.Memory.AfterBytes <= 0 {
		t.Errorf("memory %+v", rep.Memory)
	}
	if m.DeliveriesPerSec <= 0 {
		t.Errorf("deliveries/s %v", m.DeliveriesPerSec)
	}
	testkit.Eventually(t, 10*time.Second, "server sessions closed", func() bool { return e.svc.Hub().Count() == 0 })
}

// The per-user SSE limit: of 11 streams of one user, 10 open and one is
// refused with 429; bad tokens are 401; a closed port is a dial error.
func TestSSERejectionsByStatusAndCause(t *testing.T) {
	e := start(t)
	r := e.NewKey("acme", proto.ScopeDeviceRead)
	run := func(url, token string, conns int) *loadtest.Report {
		t.Helper()
		target := loadtest.Target{Transport: loadtest.SSE, URL: url, Conns: conns, DialTimeout: 5 * time.Second}
		if token != "" {
			target.Tokens = []string{token}
		}
		rep, err := loadtest.Run(context.Background(), loadtest.Options{Target: target})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := run(e.URL+"/api/v1/devices/analysis/stream/all", r, 11)
	c := rep.Connections
	if c.Established != 10 || c.Rejected != 1 || c.RejectedByStatus["429"] != 1 {
		t.Fatalf("connections %+v", c)
	}
	if !strings.Contains(rep.Samples["rejected_429"], proto.CodeTooManyStreams) {
		t.Errorf("sample %q", rep.Samples["rejected_429"])
	}
	a1, _ := loadtest.ParseAssertion("established==10")
	a2, _ := loadtest.ParseAssertion("rejected_429==1")
	a3, _ := loadtest.ParseAssertion("rejected_503==0")
	if failed := rep.Assert([]loadtest.Assertion{a1, a2, a3}); len(failed) != 0 {
		t.Errorf("failed %v", failed)
	}
	// The streams above were closed at the end of the run: the quota is free.
	testkit.Eventually(t, 10*time.Second, "streams released", func() bool { return e.svc.Hub().Count() == 0 })

	if c := run(e.URL+"/api/v1/devices/analysis/stream/all", "evt_nope_nope", 3).Connections; c.RejectedByStatus["401"] != 3 {
		t.Errorf("bad token: %+v", c)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if c := run("http://"+closed+"/x", r, 2).Connections; c.DialErrorsByCause["refused"] != 2 || c.Established != 0 {
		t.Errorf("closed port: %+v", c)
	}
}

// SSE deliveries of analysis results and ": keep-alive" comments.
func TestSSEDeliveriesAndKeepAlives(t *testing.T) {
	e := start(t, func(c *config.Config) { c.SSE.Heartbeat = 200 * time.Millisecond })
	r := e.NewKey("acme", proto.ScopeAnalyticsRead)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	pubURL := e.URL + "/api/v1/events/analysis"
	var progress bytes.Buffer // written under the printer's lock, read after Run
	rep, err := loadtest.Run(context.Background(), loadtest.Options{
		Target: loadtest.Target{Transport: loadtest.SSE, URL: e.URL + "/api/v1/devices/analysis/stream/all", Conns: 5, Tokens: []string{r}},
		Idle:   1500 * time.Millisecond, Duration: time.Second, Drain: 5 * time.Second,
		Publish:  &loadtest.Publish{URL: pubURL, Token: w, Body: loadtest.DefaultPublishBody(pubURL), Rate: 10},
		Progress: &progress, ProgressInterval: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	m, p := rep.Messages, rep.Publish
	if rep.Connections.Established != 5 || p.OK < 5 || m.Deliveries != p.OK*5 {
		t.Fatalf("established %d, published %+v, messages %+v, samples %v", rep.Connections.Established, p, m, rep.Samples)
	}
	if m.KeepAlives < 5 || m.Total != m.Deliveries+m.KeepAlives {
		t.Errorf("messages %+v", m)
	}
	if rep.FirstMessage.Count != 5 {
		t.Errorf("first message %+v", rep.FirstMessage)
	}
	// Live progress, one line per interval while it runs (not a terminal).
	if n := strings.Count(progress.String(), "\nloadtest: "); n < 3 || !strings.Contains(progress.String(), "open 5/5 rejected 0 errors 0 dropped 0") {
		t.Errorf("%d progress lines:\n%s", n, progress.String())
	}
}

// Streams the server closes during the run are counted by close code.
func TestDisconnectsByCloseCode(t *testing.T) {
	e := start(t)
	var key proto.APIKey
	e.Do("POST", "/api/v1/keys", servertest.AdminToken, "", map[string]any{"name": "k", "owner": "acme", "scopes": []string{"events:read"}}).JSON(t, &key)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		testkit.Eventually(t, 10*time.Second, "connections", func() bool { return e.svc.Hub().Count() == 3 })
		e.Do("DELETE", "/api/v1/keys/"+key.ID, servertest.AdminToken, "", nil)
	}()
	rep, err := loadtest.Run(context.Background(), loadtest.Options{
		Target:   loadtest.Target{Transport: loadtest.WS, URL: e.ws("/api/v1/ws/composite-events"), Conns: 3, Tokens: []string{key.Token}},
		Duration: 2 * time.Second,
	})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Connections; c.Established != 3 || c.DisconnectsByCode["1008"] != 3 {
		t.Fatalf("connections %+v samples %v", c, rep.Samples)
	}
}

// Connections go round robin over the source addresses and the tokens.
func TestSourceAddressesAndTokensSpread(t *testing.T) {
	var mu sync.Mutex
	ips, tokens := map[string]int{}, map[string]int{}
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		mu.Lock()
		ips[host]++
		tokens[r.Header.Get("Authorization")]++
		mu.Unlock()
		if c, err := up.Upgrade(w, r, nil); err == nil {
			defer c.Close()
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}
	}))
	defer srv.Close()
	rep, err := loadtest.Run(context.Background(), loadtest.Options{Target: loadtest.Target{
		Transport: loadtest.WS, URL: "ws" + strings.TrimPrefix(srv.URL, "http"), Conns: 12,
		Sources: sources(t, "127.0.0.2-127.0.0.4"), Tokens: []string{"a", "b"}, Header: http.Header{"X-Test": {"1"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Connections.Established != 12 {
		t.Fatalf("%+v %v", rep.Connections, rep.Samples)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ips) != 3 || ips["127.0.0.2"] != 4 || ips["127.0.0.4"] != 4 {
		t.Errorf("source addresses %v", ips)
	}
	if tokens["Bearer a"] != 6 || tokens["Bearer b"] != 6 {
		t.Errorf("tokens %v", tokens)
	}
}

// Two worker processes hold the connections; the parent publishes and
// merges their results into one report.
func TestWorkersMergeIntoOneReport(t *testing.T) {
	e := start(t)
	r := e.NewKey("acme", proto.ScopeEventsRead)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	target := loadtest.Target{Transport: loadtest.WS, URL: e.ws("/api/v1/ws/composite-events"), Conns: 9, Tokens: []string{r}}
	worker := func(i, n int) *exec.Cmd {
		b, _ := json.Marshal(loadtest.Share(target, i, n))
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), workerEnv+"="+string(b))
		cmd.Stderr = os.Stderr
		return cmd
	}
	pubURL := e.URL + "/api/v1/events/composite"
	rep, err := loadtest.Run(context.Background(), loadtest.Options{
		Target: target, Workers: 2, Worker: worker, Duration: time.Second, Drain: 5 * time.Second,
		Publish: &loadtest.Publish{URL: pubURL, Token: w, Body: loadtest.DefaultPublishBody(pubURL), Rate: 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Workers != 2 || rep.Connections.Established != 9 || rep.Connect.Count != 9 {
		t.Fatalf("report %+v", rep.Connections)
	}
	if p := rep.Publish; p.OK < 5 || rep.Messages.Deliveries != p.OK*9 || rep.Latency.Count != rep.Messages.Deliveries {
		t.Fatalf("published %+v, messages %+v", p, rep.Messages)
	}
}

// A worker that dies is reported, not waited for forever.
func TestWorkerFailureIsAnError(t *testing.T) {
	_, err := loadtest.Run(context.Background(), loadtest.Options{
		Target:  loadtest.Target{Transport: loadtest.WS, URL: "ws://127.0.0.1:1/x", Conns: 2},
		Workers: 2,
		Worker:  func(i, n int) *exec.Cmd { return exec.Command("false") },
	})
	if err == nil || !strings.Contains(err.Error(), "worker 0") || !strings.Contains(err.Error(), "worker 1") {
		t.Fatalf("err %v", err)
	}
}
