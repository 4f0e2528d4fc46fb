package stream_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWscatFromDocument000 runs the exact client command the edge audio box
// documents (docs/sources.md#composite-ws-protocol),
// `wscat -c ws://…/api/v1/ws/composite-events -H "Authorization: Bearer …"`,
// in a pseudo-terminal (wscat is interactive) and checks that it shows the
// hello and a composite event.
func TestWscatFromDocument000(t *testing.T) {
	wscat := os.Getenv("EVTCTL_WSCAT")
	if wscat == "" {
		wscat, _ = exec.LookPath("wscat")
	}
	if wscat == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("wscat is not installed (.ci/run installs it from the npm registry): the documented client must run in CI")
		}
		t.Skip("wscat is not installed: `npm install -g wscat`, or set EVTCTL_WSCAT (.ci/run installs it from the npm registry when it is reachable)")
	}
	script, err := exec.LookPath("script")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the `script` command (util-linux) is needed to give wscat a terminal")
		}
		t.Skip("the `script` command (util-linux) is needed to give wscat a terminal")
	}
	e := start(t)
	token := e.NewKey("acme", proto.ScopeEventsRead)
	url := wsURL(e.Harness, "/api/v1/ws/composite-events")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, "-qc", wscat+` --no-color -c "`+url+`" -H "Authorization: Bearer `+token+`"`, "/dev/null")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cancel()
		_ = cmd.Wait()
	}()
	waitOutput := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("wscat did not show %q; output:\n%s", want, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitOutput("< hello")
	appendComposite(t, e.Harness, "acme", "composite_evt_123")
	waitOutput(`< ` + string(composite("composite_evt_123")))
}
