package tail_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/root"
	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/iostreams"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/stream"
	"github.com/evtctl/evtctl/internal/testkit"
)

// The test binary doubles as evtctl when tmux runs it (see TestInTmux).
func TestMain(m *testing.M) {
	if os.Getenv("EVTCTL_TMUX_CHILD") == "1" {
		os.Exit(root.Main(iostreams.System(), os.Args[1:]))
	}
	testkit.VerifyNoLeaks(m)
}

// TestInTmux runs `evtctl tail` in a real terminal (a detached tmux session
// on a private socket, 80×24) against a real gateway: the full-screen view opens,
// shows the source live and the events as they come, pauses and resumes
// with space, and quits with q, leaving the recording behind.
func TestInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed (apt-get install tmux): the real-terminal run of evtctl tail must run in CI")
		}
		t.Skip("tmux is not installed: the real-terminal run of evtctl tail is skipped (apt-get install tmux)")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	h := servertest.Run(t, streams)
	rec := filepath.Join(t.TempDir(), "rec.ndjson")

	sock := fmt.Sprintf("evtctl-test-%d", os.Getpid())
	tmux := func(args ...string) (string, error) {
		out, err := exec.Command("tmux", append([]string{"-L", sock}, args...)...).CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { tmux("kill-server") })
	command := fmt.Sprintf("env EVTCTL_TMUX_CHILD=1 NO_COLOR=1 EVTCTL_SERVER=%s EVTCTL_TOKEN=%s %s tail composites --record %s",
		h.URL, servertest.AdminToken, os.Args[0], rec)
	if out, err := tmux("new-session", "-d", "-s", "tail", "-x", "80", "-y", "24", command); err != nil {
		t.Fatalf("tmux new-session: %v %s", err, out)
	}
	screen := func() string { s, _ := tmux("capture-pane", "-p", "-t", "tail"); return s }
	waitScreen := func(what string, want ...string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			s := screen()
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(s, w)
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("screen never showed %s (%q); it shows:\n%s", what, want, s)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	keys := func(k ...string) {
		if out, err := tmux(append([]string{"send-keys", "-t", "tail"}, k...)...); err != nil {
			t.Fatalf("send-keys: %v %s", err, out)
		}
	}
	add := func(id string) {
		data := []byte(`{"id":"` + id + `","group_key":"edge-01:speech","rule":{"id":"r","name":"Repeated speech"},"events":[],"mics":[],"labels":[],"started_at":"2026-03-26T08:59:45Z"}`)
		if _, err := h.Server.Log().Append(context.Background(), []store.Entry{{Address: store.CompositeAddress("default", id), ID: id, Data: data}}); err != nil {
			t.Fatal(err)
		}
	}

	// 80×24: the footer keeps "q quit" and the summaries are readable.
	waitScreen("the live source", "evtctl tail", "● composites · live · hello", "TIME", "SUMMARY", "? help • q quit")
	time.Sleep(100 * time.Millisecond) // the hub registers the session just after hello
	add("c1")
	add("c2")
	waitScreen("two events", "2 events", `"id": "c2"`, "composite edge-01:speech 0 events Repeated speech")

	keys("Space")
	waitScreen("pause", "PAUSED (+0 new)")
	add("c3")
	waitScreen("a held event", "PAUSED (+1 new)", "3 events")
	keys("Space")
	waitScreen("resume", `"id": "c3"`)
	if strings.Contains(screen(), "PAUSED") {
		t.Fatal("still paused after the second space")
	}

	keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := tmux("has-session", "-t", "tail"); err != nil {
			break // the program exited and its window closed
		}
		if time.Now().After(deadline) {
			t.Fatalf("q did not quit; screen:\n%s", screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	data, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), `"source":"composites","family":"composite"`); n != 3 {
		t.Fatalf("recording has %d composites:\n%s", n, data)
	}
}

// streams builds the endpoints and the streams components.
func streams(ctx context.Context, g server.Handles) ([]component.Component, error) {
	eps, err := endpoint.New(ctx, g.Env, g.Config.Webhooks, g.Config.Limits)
	if err != nil {
		return nil, err
	}
	svc, err := stream.New(ctx, g.Env, stream.ConfigOf(g.Config), g.Log, g.Keys, eps)
	return []component.Component{eps, svc}, err
}
