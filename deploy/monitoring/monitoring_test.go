package monitoring_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/evtctl/evtctl/internal/cmd/serve"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/testkit"
)

// ruleFile is the Prometheus rule file format, decoded strictly: a
// misspelt key fails here before promtool sees it.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	data, err := os.ReadFile("prometheus-alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var rf ruleFile
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("prometheus-alerts.yaml: %v", err)
	}
	return rf
}

// dashboard is the part of the Grafana dashboard model the tests read.
type dashboard struct {
	UID    string `json:"uid"`
	Panels []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		GridPos struct {
			H, W, X, Y int
		} `json:"gridPos"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	return d
}

// metricRef finds the metric names of a PromQL expression. Every metric
// the gateway serves starts with evtctl_, go_ or process_, and no PromQL
// function, keyword, label name or Grafana variable the files use does, so
// this regular expression finds the same names as a PromQL parser would
// without the parser's dependency tree (prometheus/prometheus); promtool
// (TestPromtoolAcceptsRules) parses the rules for real.
var metricRef = regexp.MustCompile(`\b(?:evtctl|go|process)_[a-z0-9_]+\b`)

// used returns every expression of the rules and the dashboard, by where
// it is.
func used(t *testing.T) map[string]string {
	exprs := map[string]string{}
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			exprs["alert "+r.Alert] = r.Expr
		}
	}
	for _, p := range loadDashboard(t).Panels {
		for _, tg := range p.Targets {
			exprs["panel "+p.Title+" "+tg.RefID] = tg.Expr
		}
	}
	return exprs
}

// rare are metrics whose series appear only after an event the test does
// not cause (a NATS connection closed for good, a slow consumer dropped,
// damaged storage files): for them the test requires a definition in the
// gateway's code instead of a served series.
var rare = []string{"evtctl_storage_reconnects_total", "evtctl_stream_queue_overflows_total", "evtctl_storage_lost_messages"}

// Every metric the dashboard and the alerts use is served by a real
// gateway after it ingested events, streamed them, delivered a webhook and
// refused a stream; the few that need a rare event are defined in the code.
func TestEveryMetricUsedIsServed(t *testing.T) {
	served := scrapeAfterTraffic(t)
	defined := definedInCode(t)
	for _, name := range rare {
		if !defined[name] {
			t.Errorf("%s is listed as rare but the code does not define it", name)
		}
		served[name] = true
	}
	where := used(t)
	keys := make([]string, 0, len(where))
	for k := range where {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := 0
	for _, k := range keys {
		names := metricRef.FindAllString(where[k], -1)
		if len(names) == 0 {
			t.Errorf("%s: no metric in %q", k, where[k])
		}
		for _, m := range names {
			n++
			if !served[m] {
				t.Errorf("%s uses %s, which the gateway does not serve", k, m)
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d metric references found; has the files' format changed?", n)
	}
}

// The dashboard shows what an operator needs, each panel in the grid.
func TestDashboardCoversTheGateway(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" {
		t.Error("the dashboard has no uid (imports would duplicate it)")
	}
	all := ""
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.X+p.GridPos.W > 24 || p.GridPos.W <= 0 || p.GridPos.H <= 0 {
			t.Errorf("panel %q outside the 24-column grid: %+v", p.Title, p.GridPos)
		}
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			all += tg.Expr + "\n"
		}
	}
	for _, m := range []string{
		"evtctl_ingest_events_total", "evtctl_ingest_duration_seconds_bucket", // ingest rate and latency
		"evtctl_stream_connections", "evtctl_stream_fanout_lag_seconds", // streams by transport, fan-out lag
		"evtctl_webhook_attempts_total", "evtctl_webhook_attempt_duration_seconds_bucket", "evtctl_webhook_queue_depth", // webhooks
		"evtctl_jetstream_up", "evtctl_storage_full", "evtctl_log_bytes", // storage health
	} {
		if !regexp.MustCompile(`\b` + m + `\b`).MatchString(all) {
			t.Errorf("the dashboard does not show %s", m)
		}
	}
}

// promtool (Debian's prometheus package) accepts the rules. A missing
// promtool fails the test: CI installs it (.ci/run).
func TestPromtoolAcceptsRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed (apt-get install prometheus): the rules cannot be checked")
	}
	for _, args := range [][]string{
		{"check", "rules", "prometheus-alerts.yaml"},
		{"test", "rules", "prometheus-alerts_test.yaml"},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// scrapeAfterTraffic runs every component of `evtctl serve` (one stream
// connection allowed), exercises ingest, a live SSE stream, a webhook
// delivery and a refused stream, and returns the metric names /metrics
// serves (a histogram's _bucket, _sum and _count included).
func scrapeAfterTraffic(t *testing.T) map[string]bool {
	h := servertest.Run(t, serve.Components, func(c *config.Config) {
		c.Webhooks.AllowCIDRs = []string{"127.0.0.0/8"}
		c.Limits.MaxConnections = 1
	})
	delivered := make(chan struct{}, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
		select {
		case delivered <- struct{}{}:
		default:
		}
	}))
	defer hook.Close()
	if r := h.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "hook", "type": "webhook", "url": hook.URL}); r.Status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %s", r.Status, r.Body)
	}

	// One live SSE stream of analysis results; the second is refused.
	req, _ := http.NewRequest("GET", h.URL+"/api/v1/devices/analysis/stream/all", nil)
	req.Header.Set("Authorization", "Bearer "+servertest.AdminToken)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SSE stream: status %d", resp.StatusCode)
	}
	got := make(chan struct{})
	go func() {
		defer close(got)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data:") {
				return
			}
		}
	}()
	if r := h.Do("GET", "/api/v1/devices/analysis/stream/all", servertest.AdminToken, "", nil); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("second stream: status %d, want 503 (limits.max_connections=1)", r.Status)
	}

	for fam, file := range map[string]string{"analysis": "analysis_result.json", "sound": "sound_event.json"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "seeds", file))
		if err != nil {
			t.Fatal(err)
		}
		if r := h.Do("POST", "/api/v1/events/"+fam, servertest.AdminToken, "application/json", data); r.Status != http.StatusAccepted {
			t.Fatalf("ingest %s: %d %s", fam, r.Status, r.Body)
		}
	}
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the SSE stream got no event")
	}
	resp.Body.Close()
	select {
	case <-delivered:
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook delivery")
	}

	served := map[string]bool{}
	testkit.Eventually(t, 10*time.Second, "the stream's disconnect and the delivery's outcome in /metrics", func() bool {
		served = scrape(t, h.URL)
		return served["evtctl_stream_disconnects_total"] && served["evtctl_webhook_deliveries_total"]
	})
	return served
}

// scrape parses /metrics and returns the names of its series.
func scrape(t *testing.T, url string) map[string]bool {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for name, f := range fams {
		if len(f.Metric) == 0 {
			continue
		}
		names[name] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[name+s] = true
			}
		}
	}
	return names
}

// metricDef finds metric names where the gateway's code defines them.
var metricDef = regexp.MustCompile(`(?:Name:\s*|NewDesc\(\s*)"(evtctl_[a-z0-9_]+)"`)

func definedInCode(t *testing.T) map[string]bool {
	defined := map[string]bool{}
	err := filepath.WalkDir(filepath.Join("..", "..", "internal"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		for _, m := range metricDef.FindAllSubmatch(src, -1) {
			defined[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return defined
}
