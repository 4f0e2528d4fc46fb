package tail

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// --jq runs over each event's JSON line, strings printed raw.
func TestJQOverEachLine(t *testing.T) {
	h := startGateway(t)
	token := h.NewKey("acme", proto.ScopeEventsRead)
	appendComposite(t, h, "c1")
	appendComposite(t, h, "c2")
	appendComposite(t, h, "c3")
	f, out, errOut := cmdtest.LiveFactory(h.URL, token, "")
	f.Globals.JQ = ".id"
	if err := cmdutil.CheckJQ(f, false); err != nil {
		t.Fatal(err)
	}
	cmd := NewCmdTail(f, nil)
	cmd.SetArgs([]string{"composites", "--after", "c1", "-n", "2"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("tail: %v\nstderr: %s", err, errOut)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("tail did not stop after -n 2; stdout %q stderr %q", out, errOut)
	}
	if got := out.String(); got != "c2\nc3\n" {
		t.Fatalf("stdout %q", got)
	}

	// --jq and --template exclude each other.
	f, _, _ = cmdtest.LiveFactory(h.URL, token, "")
	f.Globals.JQ = ".id"
	if err := cmdtest.Run(NewCmdTail(f, func(*Options) error { return nil }), "composites", "--template", "{{.Source}}"); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "--jq or --template") {
		t.Fatalf("--jq --template: %v", err)
	}
}
