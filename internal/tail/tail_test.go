package tail_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/tail"
	"github.com/evtctl/evtctl/pkg/proto"
)

type env struct {
	*servertest.Harness
	eps *endpoint.Service
}

func startServer(t *testing.T) *env {
	t.Helper()
	g := servertest.RunStreams(t)
	return &env{Harness: g.Harness, eps: g.Endpoints}
}

// run follows specs in the background and collects what they produce.
type run struct {
	mu       sync.Mutex
	items    []tail.Item
	statuses []tail.Status
	done     chan error
	cancel   context.CancelFunc
}

func follow(t *testing.T, specs []tail.Spec, token string) *run {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	items, statuses := make(chan tail.Item), make(chan tail.Status)
	r := &run{done: make(chan error, 1), cancel: cancel}
	hdr := http.Header{}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	opts := tail.Options{Header: hdr, Backoff: tail.Backoff{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond, Multiplier: 2, Jitter: 0.2}}
	go func() { r.done <- tail.Run(ctx, specs, opts, tail.Output{Items: items, Status: statuses}) }()
	go func() {
		for {
			select {
			case it := <-items:
				r.mu.Lock()
				r.items = append(r.items, it)
				r.mu.Unlock()
			case s := <-statuses:
				r.mu.Lock()
				r.statuses = append(r.statuses, s)
				r.mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			t.Error("tail.Run did not return after cancel")
		}
	})
	return r
}

func (r *run) snapshot() ([]tail.Item, []tail.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tail.Item(nil), r.items...), append([]tail.Status(nil), r.statuses...)
}

// waitFor polls cond on what the run collected until it holds (10 s).
func (r *run) waitFor(t *testing.T, what string, cond func(items []tail.Item, st []tail.Status) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond(r.snapshot()) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	items, st := r.snapshot()
	t.Fatalf("timed out waiting for %s; items=%d statuses=%v", what, len(items), st)
}

func countKind(st []tail.Status, k tail.StatusKind) int {
	n := 0
	for _, s := range st {
		if s.Kind == k {
			n++
		}
	}
	return n
}

// proxy is a loopback TCP relay the test can cut, to drop connections
// and refuse new ones while events are published.
type proxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	down     bool
	conns    []net.Conn
}

func newProxy(t *testing.T, upstream string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, upstream: upstream}
	t.Cleanup(func() { ln.Close(); p.cut(false) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.down {
				p.mu.Unlock()
				c.Close()
				continue
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	return p
}

// cut closes every relayed connection; down refuses new ones until restore.
func (p *proxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() { p.mu.Lock(); p.down = false; p.mu.Unlock() }

func (p *proxy) serverURL() *url.URL { u, _ := url.Parse("http://" + p.ln.Addr().String()); return u }

func composite(id string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"group_key":"edge-01:normal_speech_female","rule":{"id":"rule_001"},"events":[],"mics":[],"labels":[],"started_at":"2026-03-26T08:59:45Z"}`, id))
}

func appendComposite(t *testing.T, h *servertest.Harness, owner, id string) {
	t.Helper()
	if _, err := h.Server.Log().Append(context.Background(), []store.Entry{{Address: store.CompositeAddress(owner, id), ID: id, Data: composite(id)}}); err != nil {
		t.Fatal(err)
	}
}

func analysis(device string, n int) string {
	return fmt.Sprintf(`{"deviceId":%q,"analysisId":"a-%d","sceneId":"s","timestamp":"2026-01-29T10:00:%02dZ","detections":[{"type":"person","confidence":0.9}]}`, device, n, n%60)
}

func ids(items []tail.Item) string {
	var s []string
	for _, it := range items {
		s = append(s, it.Cursor)
	}
	return strings.Join(s, ",")
}

func TestCompositeReconnectResumesAfterLastID(t *testing.T) {
	e := startServer(t)
	p := newProxy(t, strings.TrimPrefix(e.URL, "http://"))
	specs, err := tail.ParseArgs([]string{"composites"}, p.serverURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := follow(t, specs, e.NewKey("acme", proto.ScopeEventsRead))
	r.waitFor(t, "hello", func(_ []tail.Item, st []tail.Status) bool { return countKind(st, tail.Hello) == 1 })

	appendComposite(t, e.Harness, "acme", "c1")
	r.waitFor(t, "c1", func(items []tail.Item, _ []tail.Status) bool { return len(items) == 1 })

	// Drop the connection and keep the proxy down while c2 and c3 are
	// published: only the resume (?after=c1) can deliver them.
	p.cut(true)
	r.waitFor(t, "disconnect", func(_ []tail.Item, st []tail.Status) bool { return countKind(st, tail.Disconnected) >= 1 })
	appendComposite(t, e.Harness, "acme", "c2")
	appendComposite(t, e.Harness, "acme", "c3")
	p.restore()
	r.waitFor(t, "c2, c3", func(items []tail.Item, _ []tail.Status) bool { return len(items) >= 3 })
	appendComposite(t, e.Harness, "acme", "c4")
	r.waitFor(t, "c4", func(items []tail.Item, _ []tail.Status) bool { return len(items) >= 4 })

	items, st := r.snapshot()
	if got := ids(items); got != "c1,c2,c3,c4" {
		t.Fatalf("composites %s, want c1,c2,c3,c4 (no gap, no duplicate)", got)
	}
	for _, it := range items {
		if it.Family != proto.FamilyComposite || it.Source != "composites" || string(it.Event) != string(composite(it.Cursor)) {
			t.Fatalf("item %+v", it)
		}
	}
	resumed := false
	for _, s := range st {
		if s.Kind == tail.Connecting && s.Resume == "c1" {
			resumed = true
		}
	}
	if !resumed {
		t.Fatalf("no reconnect resumed after c1: %v", st)
	}
}

func TestSSEReconnectResumesWithLastEventID(t *testing.T) {
	e := startServer(t)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	p := newProxy(t, strings.TrimPrefix(e.URL, "http://"))
	specs, err := tail.ParseArgs([]string{"analysis"}, p.serverURL(), []string{"dev-1"})
	if err != nil {
		t.Fatal(err)
	}
	r := follow(t, specs, e.NewKey("acme", proto.ScopeDeviceRead))
	r.waitFor(t, "connected", func(_ []tail.Item, st []tail.Status) bool { return countKind(st, tail.Connected) == 1 })

	ingest := func(n int) {
		t.Helper()
		if res := e.Do("POST", "/api/v1/events/analysis", w, "", analysis("dev-1", n)); res.Status != 202 {
			t.Fatalf("ingest: %d %s", res.Status, res.Body)
		}
	}
	ingest(1)
	r.waitFor(t, "first", func(items []tail.Item, _ []tail.Status) bool { return len(items) == 1 })
	p.cut(true)
	r.waitFor(t, "disconnect", func(_ []tail.Item, st []tail.Status) bool { return countKind(st, tail.Disconnected) >= 1 })
	ingest(2)
	ingest(3)
	p.restore()
	r.waitFor(t, "resumed", func(items []tail.Item, _ []tail.Status) bool { return len(items) >= 3 })
	ingest(4)
	r.waitFor(t, "live", func(items []tail.Item, _ []tail.Status) bool { return len(items) >= 4 })

	items, _ := r.snapshot()
	if len(items) != 4 {
		t.Fatalf("%d items, want 4", len(items))
	}
	for i, it := range items {
		if it.Family != proto.FamilyAnalysis || it.Source != "analysis:dev-1" || it.Routing.DeviceID != "dev-1" {
			t.Fatalf("item %d: %+v", i, it)
		}
		if string(it.Event) != analysis("dev-1", i+1) {
			t.Fatalf("item %d: %s", i, it.Event)
		}
		if i > 0 && it.Cursor <= items[i-1].Cursor && len(it.Cursor) == len(items[i-1].Cursor) {
			t.Fatalf("cursors not increasing: %s", ids(items))
		}
	}
}

func TestEndpointWebSocketInfersFamilies(t *testing.T) {
	e := startServer(t)
	servertest.WebSocketEndpoint(t, e.eps, "ep1", "acme")
	u, _ := url.Parse(e.URL)
	specs, err := tail.ParseArgs([]string{"endpoint", "ep1"}, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := follow(t, specs, "")
	r.waitFor(t, "connected", func(_ []tail.Item, st []tail.Status) bool { return countKind(st, tail.Connected) == 1 })
	// The hub registers the session just after the upgrade answer.
	time.Sleep(100 * time.Millisecond)

	w := e.NewKey("acme", proto.ScopeEventsWrite)
	sound := `{"id":"s1","created_at":"2026-03-26T09:00:00Z","label_id":"speech","mic_id":"mic_001","microphone":{"edge_id":"edge_001"}}`
	ident := `{"type":"identification","camera":{"id":"cam-1","agent_id":"ag-1"},"candidates":[],"event":{"id":"i1","detection_date":"2024-05-29 10:48:27.364000+00:00"}}`
	for fam, body := range map[string]string{"sound": sound, "analysis": analysis("dev-9", 1), "identification": ident} {
		if res := e.Do("POST", "/api/v1/events/"+fam, w, "", body); res.Status != 202 {
			t.Fatalf("ingest %s: %d %s", fam, res.Status, res.Body)
		}
	}
	appendComposite(t, e.Harness, "acme", "c9")
	r.waitFor(t, "4 events", func(items []tail.Item, _ []tail.Status) bool { return len(items) >= 4 })
	items, _ := r.snapshot()
	got := map[proto.Family]string{}
	for _, it := range items {
		got[it.Family] = it.Routing.DeviceID + "/" + it.Routing.EventType
	}
	want := map[proto.Family]string{
		proto.FamilySound: "mic_001/speech", proto.FamilyAnalysis: "dev-9/analysis_result",
		proto.FamilyIdentification: "cam-1/identification", proto.FamilyComposite: "/composite",
	}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("%s: got %q, want %q (all: %v)", f, got[f], w, got)
		}
	}
}

func TestRefusedSourceFailsRun(t *testing.T) {
	e := startServer(t)
	u, _ := url.Parse(e.URL)
	for _, tc := range []struct {
		args   []string
		token  string
		status int
	}{
		{[]string{"composites"}, "evt_nosuchkey00_secret", 401},
		{[]string{"analysis"}, "evt_nosuchkey00_secret", 401},
		{[]string{"endpoint", "nope"}, "", 404},
	} {
		specs, err := tail.ParseArgs(tc.args, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		hdr := http.Header{"Authorization": {"Bearer " + tc.token}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = tail.Run(ctx, specs, tail.Options{Header: hdr}, tail.Output{Items: make(chan tail.Item)})
		cancel()
		var se *tail.StatusError
		if !errors.As(err, &se) || se.Status != tc.status {
			t.Fatalf("%v: err %v, want status %d", tc.args, err, tc.status)
		}
		if se.Message == "" {
			t.Errorf("%v: the gateway's error message was not read: %v", tc.args, err)
		}
	}
}

// A busy server (429 with Retry-After) is retried; comment lines are
// reported as keep-alives; named events and ids are understood.
func TestSSERetriesTemporaryRefusalAndSeesKeepAlives(t *testing.T) {
	var mu sync.Mutex
	var lastIDs []string
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			io.WriteString(w, `{"error":{"code":"rate_limited","message":"Too many streams."}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 2 {
			io.WriteString(w, "retry: 10\n\n: keep-alive\n\nevent: analysis_result\nid: 7\ndata: "+analysis("d", 1)+"\n\n")
			return // ends the stream: go-sse reconnects with Last-Event-ID 7
		}
		io.WriteString(w, "event: gap\ndata: {\"message\":\"older than retention\"}\n\nevent: analysis_result\nid: 9\ndata: "+analysis("d", 2)+"\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close) // after the run stops (cleanups run last-in first-out)
	specs, err := tail.ParseArgs([]string{srv.URL + "/api/v1/devices/analysis/stream/all"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := follow(t, specs, "")
	r.waitFor(t, "two events", func(items []tail.Item, _ []tail.Status) bool { return len(items) >= 2 })
	items, st := r.snapshot()
	if ids(items) != "7,9" || items[0].Family != proto.FamilyAnalysis {
		t.Fatalf("items %s %+v", ids(items), items[0])
	}
	if countKind(st, tail.KeepAlive) == 0 || countKind(st, tail.Gap) != 1 {
		t.Fatalf("statuses %v", st)
	}
	var se *tail.StatusError
	if !errors.As(st[1].Err, &se) || se.Status != 429 || st[1].Kind != tail.Disconnected {
		t.Fatalf("second status %v, want the 429 refusal", st[1])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lastIDs) < 3 || lastIDs[2] != "7" {
		t.Fatalf("Last-Event-ID per request %q, want the third to resume after 7", lastIDs)
	}
}
