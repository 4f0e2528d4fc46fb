package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/testnet"
)

// tourStep is one command of the README tour (with its continuation
// lines) and the output it shows as `# …` lines.
type tourStep struct {
	cmd  string
	want []string
}

// readmeTour returns the shell blocks between <!-- tour:start --> and
// <!-- tour:end --> of the README, split into steps.
func readmeTour(t *testing.T, readme string) []tourStep {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "<!-- tour:start -->")
	tour, _, ok2 := strings.Cut(rest, "<!-- tour:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no <!-- tour:start --> … <!-- tour:end --> section")
	}
	var steps []tourStep
	in := false
	var cur *tourStep
	for _, line := range strings.Split(tour, "\n") {
		switch {
		case line == "```sh":
			in = true
			continue
		case line == "```":
			in, cur = false, nil
			continue
		case !in:
			continue
		}
		if line == "#" || strings.HasPrefix(line, "# ") {
			if cur == nil {
				t.Fatalf("expected output %q before any command", line)
			}
			cur.want = append(cur.want, strings.TrimPrefix(strings.TrimPrefix(line, "#"), " "))
			continue
		}
		// A line continuing the previous command (after \ or |), or a new
		// command.
		if cur != nil && len(cur.want) == 0 && (strings.HasSuffix(cur.cmd, "\\") || strings.HasSuffix(cur.cmd, "|")) {
			cur.cmd += "\n" + line
			continue
		}
		steps = append(steps, tourStep{cmd: line})
		cur = &steps[len(steps)-1]
	}
	return steps
}

// tourPattern turns an expected line into a regular expression: … is any
// text, everything else is literal.
func tourPattern(want string) *regexp.Regexp {
	parts := strings.Split(want, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

// TestReadmeTour runs the README's tour as a newcomer would paste it: in
// a directory holding the repository's testdata and an ./evtctl binary,
// against `evtctl serve --demo` started there (on a free loopback port
// instead of 127.0.0.1:8100, which the blocks name and the test replaces),
// with sh -e. Each step's output must show its `# …` lines, in order (a
// step may print more). curl and jq must be installed (.ci/run installs
// them); without them the test fails rather than skips.
func TestReadmeTour(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a gateway")
	}
	for _, tool := range []string{"sh", "curl", "jq", "head", "tee"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README tour needs %s (.ci/run installs it): %v", tool, err)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	steps := readmeTour(t, string(readme))
	if len(steps) < 10 {
		t.Fatalf("only %d tour steps", len(steps))
	}

	// The working directory: ./evtctl (this test binary, which is evtctl
	// by TestMain), the seeds the tour sends.
	dir := t.TempDir()
	self, err := exec.LookPath("evtctl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(dir, "evtctl")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(mustAbs(t, "../../testdata/seeds"), filepath.Join(dir, "testdata", "seeds")); err != nil {
		t.Fatal(err)
	}

	addr := testnet.Addr(t)
	ctx, cancel := context.WithCancel(context.Background())
	srv := exec.CommandContext(ctx, "./evtctl", "serve", "--demo", "--listen", addr)
	srv.Dir = dir
	srv.Env = append(os.Environ(), "EVTCTL_LOG_LEVEL=warn", "EVTCTL_ADMIN_TOKEN=", "EVTCTL_TOKEN=", "EVTCTL_SERVER=")
	var serveOut bytes.Buffer
	srv.Stderr, srv.Stdout = &serveOut, &serveOut
	srv.Cancel = func() error { return srv.Process.Signal(os.Interrupt) }
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = srv.Wait()
		if t.Failed() {
			t.Logf("evtctl serve --demo:\n%s", serveOut.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("gateway not ready")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// One shell runs every step, so that variables carry over; a marker
	// line after each step splits the output.
	const marker = "@@tour-step@@"
	var script strings.Builder
	for _, st := range steps {
		cmd := strings.ReplaceAll(st.cmd, "127.0.0.1:8100", addr)
		fmt.Fprintf(&script, "%s\necho %s\n", cmd, marker)
	}
	sh := exec.Command("sh", "-e", "-c", script.String())
	sh.Dir = dir
	// The CLI's default server is localhost:8100: point it at this one,
	// as --listen would not be needed on a newcomer's machine.
	sh.Env = append(os.Environ(), "EVTCTL_SERVER="+base, "EVTCTL_TOKEN=", "HOME="+dir, "NO_COLOR=1")
	done := make(chan struct{})
	var out []byte
	var runErr error
	go func() {
		out, runErr = sh.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		_ = sh.Process.Kill()
		<-done
		t.Fatalf("the tour did not finish:\n%s", out)
	}
	parts := strings.Split(string(out), marker+"\n")
	for i, st := range steps {
		if i >= len(parts)-1 {
			t.Fatalf("step %d failed (%v): %s\noutput:\n%s", i+1, runErr, st.cmd, parts[len(parts)-1])
		}
		got := strings.Split(strings.TrimSuffix(parts[i], "\n"), "\n")
		j := 0
		for _, line := range got {
			if j < len(st.want) && tourPattern(st.want[j]).MatchString(line) {
				j++
			}
		}
		if j < len(st.want) {
			t.Errorf("step %d: %s\nwant lines (… = anything):\n%s\ngot:\n%s", i+1, st.cmd, strings.Join(st.want, "\n"), parts[i])
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
