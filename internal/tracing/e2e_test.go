package tracing_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/evtctl/evtctl/internal/cmd/serve"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/internal/tracing"
)

// The producer's trace: its span is the parent of the gateway's ingest span.
const (
	producerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	producerSpan  = "00f067aa0ba902b7"
	traceparent   = "00-" + producerTrace + "-" + producerSpan + "-01"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes what the
// exporter posts to /v1/traces.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
		}
	}
	o.mu.Unlock()
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// named returns the received spans called name.
func (o *otlpReceiver) named(name string) []*tracepb.Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range o.spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// hookReceiver is a webhook receiver that keeps the traceparent of every
// request.
type hookReceiver struct {
	mu      sync.Mutex
	parents []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h.mu.Lock()
	h.parents = append(h.parents, r.Header.Get("traceparent"))
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.parents...)
}

// gateway runs every component of `evtctl serve`, webhooks allowed to
// loopback receivers, and a webhook endpoint pointing at hook.
func gateway(t *testing.T, hook *hookReceiver) *servertest.Harness {
	t.Helper()
	h := servertest.Run(t, serve.Components, func(c *config.Config) {
		c.Webhooks.AllowCIDRs = []string{"127.0.0.0/8"}
	})
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	r := h.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "hook", "type": "webhook", "url": srv.URL + "/hook"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %s", r.Status, r.Body)
	}
	return h
}

// sendSound ingests the seed sound event with the producer's traceparent.
func sendSound(t *testing.T, h *servertest.Harness, id string) {
	t.Helper()
	data, err := os.ReadFile("../../testdata/seeds/sound_event.json")
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte(`"id": "`), []byte(`"id": "`+id), 1)
	req, _ := http.NewRequest("POST", h.URL+"/api/v1/events/sound", bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+servertest.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", traceparent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("ingest: status %d", resp.StatusCode)
	}
}

func spanID(s *tracepb.Span) string   { return hex.EncodeToString(s.SpanId) }
func parentID(s *tracepb.Span) string { return hex.EncodeToString(s.ParentSpanId) }
func traceID(s *tracepb.Span) string  { return hex.EncodeToString(s.TraceId) }

// A producer's trace runs through the gateway to the webhook receiver:
// ingest is a child of the producer's span, the storage append of ingest,
// the webhook attempt of the append, and the receiver gets a traceparent
// naming the attempt; the composite detection and the fan-out of the event
// are spans of the same trace. The spans reach an OTLP receiver started
// here through the exporter configured by OTEL_* variables.
func TestProducerTraceReachesWebhookReceiver(t *testing.T) {
	otlp := &otlpReceiver{}
	collector := httptest.NewServer(otlp)
	defer collector.Close()
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
	stop, err := tracing.Setup(context.Background(), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := stop(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	if !tracing.Enabled() {
		t.Fatal("OTEL_TRACES_EXPORTER=otlp did not turn tracing on")
	}

	hook := &hookReceiver{}
	h := gateway(t, hook)
	sendSound(t, h, "traced-")
	testkit.Eventually(t, 10*time.Second, "the webhook delivery", func() bool { return len(hook.got()) > 0 })
	testkit.Eventually(t, 10*time.Second, "the exported spans", func() bool {
		return len(otlp.named("webhook.attempt")) > 0 && len(otlp.named("composite.detect")) > 0 && len(otlp.named("hub.fanout")) > 0
	})

	one := func(name string) *tracepb.Span {
		t.Helper()
		var mine []*tracepb.Span
		for _, s := range otlp.named(name) {
			if traceID(s) == producerTrace {
				mine = append(mine, s)
			}
		}
		if len(mine) != 1 {
			t.Fatalf("%d %s spans in the producer's trace, want 1", len(mine), name)
		}
		return mine[0]
	}
	ingest, appendSpan, attempt := one("ingest"), one("store.append"), one("webhook.attempt")
	detect, fanout := one("composite.detect"), one("hub.fanout")
	for _, c := range []struct {
		child  *tracepb.Span
		parent string
	}{
		{ingest, producerSpan},
		{appendSpan, spanID(ingest)},
		{attempt, spanID(appendSpan)},
		{detect, spanID(appendSpan)},
		{fanout, spanID(appendSpan)},
	} {
		if got := parentID(c.child); got != c.parent {
			t.Errorf("span %s has parent %s, want %s", c.child.Name, got, c.parent)
		}
	}
	if ingest.Kind != tracepb.Span_SPAN_KIND_SERVER || attempt.Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("kinds: ingest %v, webhook.attempt %v", ingest.Kind, attempt.Kind)
	}
	want := "00-" + producerTrace + "-" + spanID(attempt) + "-01"
	if got := hook.got()[0]; got != want {
		t.Errorf("the receiver got traceparent %q, want %q (the attempt's span)", got, want)
	}

	// A batch of three events: one storage append, an attempt per event,
	// and the sampled spans once for the request (its first event).
	const batchTrace = "0af7651916cd43dd8448eb211c80319c"
	var ndjson bytes.Buffer
	for i := 0; i < 3; i++ {
		ndjson.WriteString(strings.Replace(compact(t, soundJSON(t)), `"id":"`, fmt.Sprintf(`"id":"batch-%d-`, i), 1) + "\n")
	}
	req, _ := http.NewRequest("POST", h.URL+"/api/v1/events/sound", &ndjson)
	req.Header.Set("Authorization", "Bearer "+servertest.AdminToken)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("traceparent", "00-"+batchTrace+"-b7ad6b7169203331-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("batch: status %d", resp.StatusCode)
	}
	inBatch := func(name string) []*tracepb.Span {
		var out []*tracepb.Span
		for _, s := range otlp.named(name) {
			if traceID(s) == batchTrace {
				out = append(out, s)
			}
		}
		return out
	}
	testkit.Eventually(t, 10*time.Second, "the batch's three attempts exported", func() bool { return len(inBatch("webhook.attempt")) == 3 })
	time.Sleep(300 * time.Millisecond) // a later export would bring extra spans
	for name, want := range map[string]int{"ingest": 1, "store.append": 1, "composite.detect": 1, "hub.fanout": 1, "webhook.attempt": 3} {
		if got := len(inBatch(name)); got != want {
			t.Errorf("%d %s spans for the batch, want %d", got, name, want)
		}
	}
}

// compact returns JSON on one line.
func compact(t *testing.T, s string) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// Off (the default), the gateway records no span but keeps the
// producer's traceparent with the event and hands it to the receiver as it
// came, so the receiver's trace still joins the producer's.
func TestTraceparentPassesThroughWhenOff(t *testing.T) {
	stop, err := tracing.Setup(context.Background(), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer stop(context.Background())
	if tracing.Enabled() {
		t.Fatal("tracing is on without OTEL_TRACES_EXPORTER")
	}
	hook := &hookReceiver{}
	h := gateway(t, hook)
	sendSound(t, h, "untraced-")
	testkit.Eventually(t, 10*time.Second, "the webhook delivery", func() bool { return len(hook.got()) > 0 })
	if got := hook.got()[0]; got != traceparent {
		t.Errorf("the receiver got traceparent %q, want the producer's %q", got, traceparent)
	}
}

// A request without a traceparent, tracing off, sends none on.
func TestNoTraceparentWhenOffAndNoneSent(t *testing.T) {
	hook := &hookReceiver{}
	h := gateway(t, hook)
	r := h.Do("POST", "/api/v1/events/sound", servertest.AdminToken, "application/json", soundJSON(t))
	if r.Status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 10*time.Second, "the webhook delivery", func() bool { return len(hook.got()) > 0 })
	if got := hook.got()[0]; got != "" {
		t.Errorf("the receiver got traceparent %q, want none", got)
	}
}

func soundJSON(t *testing.T) string {
	data, err := os.ReadFile("../../testdata/seeds/sound_event.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A traceparent that is not one (5,000 characters, not UTF-8, wildcards)
// is ignored: the event is stored and the receiver gets no traceparent,
// with tracing off and on (the gateway then starts a trace of its own).
func TestHostileTraceparentIgnored(t *testing.T) {
	hostile := strings.Repeat("*>\xff", 1700)[:5000]
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprintf("tracing=%v", on), func(t *testing.T) {
			collector := httptest.NewServer(&otlpReceiver{})
			defer collector.Close()
			env := map[string]string{}
			if on {
				env = map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}
				t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
			}
			stop, err := tracing.Setup(context.Background(), func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			defer stop(context.Background())
			hook := &hookReceiver{}
			h := gateway(t, hook)
			req, _ := http.NewRequest("POST", h.URL+"/api/v1/events/sound", strings.NewReader(soundJSON(t)))
			req.Header.Set("Authorization", "Bearer "+servertest.AdminToken)
			req.Header.Set("Content-Type", "application/json")
			req.Header["Traceparent"] = []string{hostile}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("ingest with a hostile traceparent: status %d", resp.StatusCode)
			}
			testkit.Eventually(t, 10*time.Second, "the webhook delivery", func() bool { return len(hook.got()) > 0 })
			got := hook.got()[0]
			switch {
			case !on && got != "":
				t.Errorf("tracing off: the receiver got traceparent %q", got)
			case on && (len(got) != 55 || strings.Contains(got, "*")):
				t.Errorf("tracing on: the receiver got %q, want a traceparent of the gateway's own trace", got)
			}
		})
	}
}
