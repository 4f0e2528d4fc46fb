package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmd/serve"
	tailcmd "github.com/evtctl/evtctl/internal/cmd/tail"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
	"github.com/evtctl/evtctl/internal/replay"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/testkit"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{}, "name at least one recording"},
		{[]string{"f", "--speed", "2", "--max"}, "only one of"},
		{[]string{"f", "--speed", "0"}, "--speed must be greater than 0"},
		{[]string{"f", "--rate", "-1"}, "--rate must be greater than 0"},
		{[]string{"f", "--family", "video"}, `unknown event family "video"`},
		{[]string{"-", "-"}, "only once"},
		{[]string{"f", "--batch", "0"}, "--batch must be between"},
	} {
		f, _, _ := cmdtest.LiveFactory("", "", "")
		err := run(t, f, tc.args...)
		var fe *cmdutil.FlagError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%v: err %v, want usage error %q", tc.args, err, tc.err)
		}
	}

	// Valid flags: both files' events reach the gateway, for the owner.
	fake := cmdtest.NewFake(t)
	fake.Handle("POST /api/v1/events/sound", 202, `{"accepted":1,"duplicates":0}`)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.ndjson")
	os.WriteFile(a, []byte(soundEvent(1, "mic_001")+"\n"), 0o644)
	os.WriteFile(b, []byte(soundEvent(2, "mic_002")+"\n"), 0o644)
	f, _, errOut := cmdtest.LiveFactory(fake.URL, "tok", "")
	if err := run(t, f, a, b, "--rate", "50", "--family", "sound", "--include-composites", "--owner", "acme"); err != nil {
		t.Fatalf("err %v, stderr %s", err, errOut)
	}
	var sent string
	for _, r := range fake.Requests() {
		if r.RawQuery != "owner=acme" {
			t.Errorf("query %q", r.RawQuery)
		}
		sent += string(r.Body)
	}
	if !strings.Contains(sent, `"id":"evt_001"`) || !strings.Contains(sent, `"id":"evt_002"`) {
		t.Errorf("sent %s", sent)
	}
}

func run(t *testing.T, f *cmdutil.Factory, args ...string) error {
	t.Helper()
	cmd := NewCmdReplay(f)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	return cmd.ExecuteContext(context.Background())
}

func TestDryRunAndBadLines(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ndjson")
	os.WriteFile(good, []byte(soundLine(1, "mic_001")+"\n"+`{"received_at":"2026-03-26T09:00:09Z","family":"composite","event":{"id":"c","group_key":"g","rule":{},"events":[],"mics":[],"labels":[],"started_at":"2026-03-26T09:00:00Z"}}`+"\n"), 0o644)
	f, _, errOut := cmdtest.LiveFactory("http://127.0.0.1:1", "", "")
	if err := run(t, f, "--dry-run", good); err != nil {
		t.Fatal(err)
	}
	if s := errOut.String(); !strings.Contains(s, "Dry run: 1 event (sound 1) would be sent over 0s") || !strings.Contains(s, "Skipped 1 recorded composite events") {
		t.Fatalf("stderr %q", s)
	}
	// -o json: a report on standard output, the sentences stay on stderr.
	f, out, errOut := cmdtest.LiveFactory("http://127.0.0.1:1", "", "")
	f.Globals.JQ = `[.dry_run, .total, .per_family.sound, .skipped_composites] | @csv`
	if err := cmdutil.CheckJQ(f, false); err != nil {
		t.Fatal(err)
	}
	if err := run(t, f, "--dry-run", good); err != nil || out.String() != "true,1,1,1\n" || !strings.Contains(errOut.String(), "Dry run") {
		t.Fatalf("-o json: %v, stdout %q, stderr %q", err, out, errOut)
	}
	bad := filepath.Join(dir, "bad.ndjson")
	os.WriteFile(bad, []byte(soundLine(1, "mic_001")+"\n\n{oops\n"), 0o644)
	f, _, _ = cmdtest.LiveFactory("http://127.0.0.1:1", "", "")
	err := run(t, f, bad)
	if err == nil || !strings.Contains(err.Error(), "bad.ndjson:3: not valid JSON") || cmdutil.ExitCode(err) != 1 {
		t.Fatalf("bad line: %v", err)
	}
	f, _, _ = cmdtest.LiveFactory("http://127.0.0.1:1", "", "")
	if err := run(t, f, filepath.Join(dir, "missing.ndjson")); cmdutil.ExitCode(err) != cmdutil.ExitNotFound {
		t.Fatalf("missing file: %v", err)
	}
}

// soundLine is a raw-less recording line of one sound event, n seconds
// into the run in event time.
func soundLine(n int, mic string) string {
	return fmt.Sprintf(`{"received_at":"2026-03-26T09:00:%02d.5Z","source":"endpoint:x","family":"sound","event":%s}`, n, soundEvent(n, mic))
}

func soundEvent(n int, mic string) string {
	return fmt.Sprintf(`{"id":"evt_%03d","confidence":0.9,"created_at":"2026-03-26T09:00:%02dZ","label_id":"normal_speech_female","mic_id":%q,"microphone":{"id":%q,"edge_id":"edge_001"}}`, n, n, mic, mic)
}

func gateway(t *testing.T) *servertest.Harness {
	h := servertest.Run(t, serve.Components)
	r := h.Do("POST", "/api/v1/rules", servertest.AdminToken, "", map[string]any{
		"id": "rule_speech", "name": "Repeated speech", "window_seconds": 30, "min_events": 3, "group_by": "label_id",
	})
	if r.Status != 201 {
		t.Fatalf("create rule: %d %s", r.Status, r.Body)
	}
	return h
}

// TestRecordReplaySameComposites records a live run with `evtctl tail`
// (the endpoint stream for the sound events, the composite stream for the
// composites), replays the recording into a fresh gateway with the same
// rule, and checks the composites it derives are those of the original run.
func TestRecordReplaySameComposites(t *testing.T) {
	a := gateway(t)
	r := a.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "recorder", "type": "websocket"})
	if r.Status != 201 {
		t.Fatalf("create endpoint: %d %s", r.Status, r.Body)
	}
	var ep struct{ ID string }
	r.JSON(t, &ep)

	rec := filepath.Join(t.TempDir(), "session.ndjson")
	f, _, tailErr := cmdtest.LiveFactory(a.URL, servertest.AdminToken, "")
	tcmd := tailcmd.NewCmdTail(f, nil)
	tcmd.SetArgs([]string{"endpoint", ep.ID, "composites", "--record", rec})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- tcmd.ExecuteContext(ctx) }()
	testkit.Eventually(t, 15*time.Second, "both sources connected", func() bool {
		s := tailErr.String()
		return strings.Contains(s, "endpoint:"+ep.ID+": connected") && strings.Contains(s, "composites: hello")
	})
	time.Sleep(200 * time.Millisecond) // the hub registers a session just after its upgrade

	// Two microphones, interleaved, some far apart in event time: three
	// composites of three events each, one event left over.
	for i := 1; i <= 10; i++ {
		mic := "mic_001"
		if i%2 == 0 {
			mic = "mic_002"
		}
		n := i
		if i > 6 {
			n = i + 40 // a later burst: a new window
		}
		if r := a.Do("POST", "/api/v1/events/sound", servertest.AdminToken, "", soundEvent(n, mic)); r.Status != 202 {
			t.Fatalf("ingest: %d %s", r.Status, r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The engine follows the log asynchronously.
	var want struct{ Items []json.RawMessage }
	testkit.Eventually(t, 15*time.Second, "the original composites", func() bool {
		a.Do("GET", "/api/v1/composite-events", servertest.AdminToken, "", nil).JSON(t, &want)
		return len(want.Items) == 3
	})
	testkit.Eventually(t, 15*time.Second, "the recording", func() bool {
		data, _ := os.ReadFile(rec)
		return strings.Count(string(data), `"family":"sound"`) == 10 &&
			strings.Count(string(data), `"source":"composites"`) == len(want.Items)
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("tail: %v", err)
	}

	b := gateway(t)
	f, _, replayErr := cmdtest.LiveFactory(b.URL, servertest.AdminToken, "")
	if err := run(t, f, "--speed", "20", rec); err != nil {
		t.Fatalf("replay: %v\n%s", err, replayErr)
	}
	if s := replayErr.String(); !strings.Contains(s, "Replayed 10 events (sound 10): 10 accepted, 0 duplicates.") || !strings.Contains(s, "Skipped ") {
		t.Fatalf("replay said:\n%s", s)
	}
	var got struct{ Items []json.RawMessage }
	testkit.Eventually(t, 15*time.Second, "the replayed composites", func() bool {
		b.Do("GET", "/api/v1/composite-events", servertest.AdminToken, "", nil).JSON(t, &got)
		return len(got.Items) >= len(want.Items)
	})
	if g, w := canon(t, got.Items), canon(t, want.Items); g != w {
		t.Fatalf("composites differ after replay:\n got %s\nwant %s", g, w)
	}
	t.Logf("%d composites re-derived identically", len(want.Items))
}

// canon renders composites in a fixed order, compacted.
func canon(t *testing.T, items []json.RawMessage) string {
	var out []string
	for _, it := range items {
		var buf bytes.Buffer
		if err := json.Compact(&buf, it); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf.String())
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// Progress on stderr: on a terminal a bar redrawn in place (ended by a
// newline); otherwise a line per interval while events remain, nothing at
// the end (the summary follows).
func TestProgressView(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	ios.SetStderrTTY(true)
	p := newProgress(ios)
	p.update(replay.Stats{Sent: 5, Total: 10}) // within the first interval: nothing
	if errOut.Len() != 0 {
		t.Fatalf("drew before the first interval: %q", errOut)
	}
	p.last = time.Time{}
	p.update(replay.Stats{Sent: 5, Total: 10})
	p.update(replay.Stats{Sent: 10, Total: 10}) // the end is always drawn
	p.finish()
	want := "\r[" + strings.Repeat("█", 15) + strings.Repeat("░", 15) + "]  50% 5/10  " +
		"\r[" + strings.Repeat("█", 30) + "] 100% 10/10  \n"
	if errOut.String() != want {
		t.Fatalf("terminal progress\n%q\nwant\n%q", errOut, want)
	}

	ios, _, _, errOut = iostreams.Test()
	p = newProgress(ios)
	p.last = time.Time{}
	p.update(replay.Stats{Sent: 400, Total: 1000, Accepted: 390, Duplicates: 10})
	p.update(replay.Stats{Sent: 1000, Total: 1000, Accepted: 990, Duplicates: 10})
	p.finish()
	if want := "replay: 400 of 1000 events sent (390 accepted, 10 duplicates)\n"; errOut.String() != want {
		t.Fatalf("piped progress %q, want %q", errOut, want)
	}
}
