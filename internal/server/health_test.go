package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	check "github.com/evtctl/evtctl/internal/cmd/data"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/testkit"
)

func storageConfig(t *testing.T, dir string) *config.Config {
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.Name = "edge-01"
	cfg.Server.AdminToken = servertest.AdminToken
	cfg.Storage.DataDir = dir
	return cfg
}

// startLogged starts a gateway on cfg whose log lines go to the returned
// buffer.
func startLogged(t *testing.T, cfg *config.Config) (*servertest.Harness, *cmdtest.SyncBuffer) {
	t.Helper()
	buf := &cmdtest.SyncBuffer{}
	srv := server.New(cfg, slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo})), nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { stop(srv) })
	return &servertest.Harness{T: t, Server: srv, Config: cfg, URL: srv.URL()}, buf
}

func gauge(g prometheus.Gauge) float64 {
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		return -1
	}
	return m.GetGauge().GetValue()
}

func stop(srv *server.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

func countEvents(t *testing.T, h *servertest.Harness) int {
	n := 0
	if err := h.Server.Log().Read(context.Background(), store.ReadOptions{}, func(store.Record) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	return n
}

func readyz(t *testing.T, h *servertest.Harness) map[string]any {
	t.Helper()
	r := h.Do("GET", "/readyz", "", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("readyz %d %s", r.Status, r.Body)
	}
	var body map[string]any
	r.JSON(t, &body)
	return body
}

func runDataCheck(dir string, args ...string) (string, string, error) {
	f, ios := cmdtest.Factory("", "")
	err := cmdtest.Run(check.NewCmdCheck(f, nil), append([]string{dir}, args...)...)
	return ios.Out.String(), ios.ErrOut.String(), err
}

// A damaged block file: the gateway logs an ERROR naming the loss, counts
// it in evtctl_storage_lost_messages, says it in /readyz (200, degraded),
// still serves the rest; `evtctl data check` reports it offline until
// acknowledged.
func TestDamagedBlockIsReported(t *testing.T) {
	defer server.SetStorageCheckEvery(100 * time.Millisecond)()
	dir := t.TempDir()
	const n = 300
	h, _ := startLogged(t, storageConfig(t, dir))
	for i := range n {
		if r := h.Do("POST", "/api/v1/events/sound", admin, "", soundEvent(t, fmt.Sprintf("e%d", i))); r.Status != http.StatusAccepted {
			t.Fatalf("ingest %d: %d %s", i, r.Status, r.Body)
		}
	}
	if got := readyz(t, h)["status"]; got != "ready" {
		t.Fatalf("readyz of an intact store: %v", got)
	}
	// A running gateway holds the directory.
	if _, _, err := runDataCheck(dir); err == nil || !strings.Contains(err.Error(), "in use by a running gateway") || cmdutil.ExitCode(err) != 1 {
		t.Fatalf("data check of a directory in use: %v", err)
	}
	stop(h.Server)

	testkit.DamageBlock(t, dir, store.StreamName)

	h, logs := startLogged(t, storageConfig(t, dir))
	testkit.Eventually(t, 10*time.Second, "the ERROR log of the loss", func() bool { return strings.Contains(logs.String(), "storage lost data") })
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "storage lost data") {
			line = l
		}
	}
	left := countEvents(t, h)
	lost := n - left
	if lost <= 0 || left <= 0 {
		t.Fatalf("%d events left of %d: the damage should lose some and keep some", left, n)
	}
	for _, want := range []string{"level=ERROR", "stream=EVENTS", fmt.Sprintf("messages=%d", lost), fmt.Sprintf("last_seq=%d", n), fmt.Sprintf("first_seq=%d", left+1), "bytes="} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
	if got := gauge(h.Server.Metrics().StorageLostMessages.WithLabelValues(store.StreamName)); got != float64(lost) {
		t.Errorf("evtctl_storage_lost_messages = %v, want %d", got, lost)
	}
	body := readyz(t, h)
	if body["status"] != "degraded" {
		t.Fatalf("readyz %v", body)
	}
	b, _ := json.Marshal(body["storage"])
	if !strings.Contains(string(b), fmt.Sprintf(`"messages":%d`, lost)) {
		t.Errorf("readyz storage %s", b)
	}
	// The rest is still served, and new events are taken.
	if r := h.Do("GET", "/api/v1/events?limit=10", admin, "", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "cursor") {
		t.Fatalf("query after damage: %d %s", r.Status, r.Body)
	}
	if r := h.Do("POST", "/api/v1/events/sound", admin, "", soundEvent(t, "after")); r.Status != http.StatusAccepted {
		t.Fatalf("ingest after damage: %d %s", r.Status, r.Body)
	}
	stop(h.Server)

	// Offline: reported until acknowledged.
	out, _, err := runDataCheck(dir)
	if cmdutil.ExitCode(err) != 1 || !strings.Contains(out, "DAMAGED") || !strings.Contains(out, fmt.Sprintf("stream EVENTS lost %d messages", lost)) {
		t.Fatalf("data check: %v\n%s", err, out)
	}
	t.Logf("evtctl data check:\n%s", out)
	f, ios := cmdtest.Factory("", "")
	f.Globals.Output = "json"
	if err := cmdtest.Run(check.NewCmdCheck(f, nil), dir); cmdutil.ExitCode(err) != 1 {
		t.Fatalf("data check -o json: %v", err)
	}
	var rep check.Report
	if err := json.Unmarshal([]byte(ios.Out.String()), &rep); err != nil || rep.Intact || len(rep.Losses) != 1 || rep.Losses[0].Messages != lost {
		t.Fatalf("json report %s (%v)", ios.Out.String(), err)
	}
	if out, _, err := runDataCheck(dir, "--ack"); err != nil || !strings.Contains(out, "1 losses acknowledged") {
		t.Fatalf("data check --ack: %v\n%s", err, out)
	}
	if out, _, err := runDataCheck(dir); err != nil || !strings.Contains(out, "intact") {
		t.Fatalf("data check after --ack: %v\n%s", err, out)
	}
	if _, _, err := runDataCheck(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "does not exist") || cmdutil.ExitCode(err) != 1 {
		t.Fatalf("data check of a missing directory: %v", err)
	}
}

// A storage byte limit reached: ingest answers 507 storage_full naming the
// cause, /readyz and evtctl_storage_full show it, reads keep working, and
// ingest recovers by itself once room is freed.
func TestFullStorageIs507AndRecovers(t *testing.T) {
	defer server.SetStorageCheckEvery(100 * time.Millisecond)()
	cfg := storageConfig(t, t.TempDir())
	cfg.Storage.MaxStore = 256 << 10
	h, logs := startLogged(t, cfg)
	var r *servertest.Response
	for i := 0; ; i++ {
		r = h.Do("POST", "/api/v1/events/sound", admin, "", soundEvent(t, fmt.Sprintf("f%d", i)))
		if r.Status != http.StatusAccepted {
			break
		}
		if i > 2000 {
			t.Fatal("storage never filled")
		}
	}
	if r.Status != http.StatusInsufficientStorage {
		t.Fatalf("ingest into a full store: %d %s", r.Status, r.Body)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	r.JSON(t, &e)
	if e.Error.Code != "storage_full" || !strings.Contains(e.Error.Message, "insufficient resources") || !strings.Contains(e.Error.Message, "storage.max_store") {
		t.Fatalf("507 body %s", r.Body)
	}
	if got := gauge(h.Server.Metrics().StorageFull); got != 1 {
		t.Errorf("evtctl_storage_full = %v", got)
	}
	body := readyz(t, h)
	if b, _ := json.Marshal(body); body["status"] != "degraded" || !strings.Contains(string(b), "insufficient resources") {
		t.Fatalf("readyz of a full store: %s", b)
	}
	if !strings.Contains(logs.String(), "storage is full") {
		t.Error("no log line says storage is full")
	}
	// Reads keep working.
	if r := h.Do("GET", "/api/v1/events?limit=5", admin, "", nil); r.Status != http.StatusOK {
		t.Fatalf("query of a full store: %d %s", r.Status, r.Body)
	}
	// The full state stays while nothing changes (the probe agrees).
	time.Sleep(300 * time.Millisecond)
	if got := gauge(h.Server.Metrics().StorageFull); got != 1 {
		t.Errorf("evtctl_storage_full cleared without room: %v", got)
	}

	// Room is freed (as retention would): no restart, the state clears and
	// ingest is accepted again.
	if err := h.Server.Log().Stream().Purge(context.Background()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the full state to clear", func() bool { return gauge(h.Server.Metrics().StorageFull) == 0 })
	if got := readyz(t, h)["status"]; got != "ready" {
		t.Errorf("readyz after room was freed: %v", got)
	}
	if r := h.Do("POST", "/api/v1/events/sound", admin, "", soundEvent(t, "again")); r.Status != http.StatusAccepted {
		t.Fatalf("ingest after room was freed: %d %s", r.Status, r.Body)
	}
}
