package root

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
)

// An unknown verb of any command group of the tree is a usage error
// (exit 2) with one sentence on stderr, and nothing on stdout; the group
// alone prints its help (exit 0).
func TestUnknownVerbOfEveryGroup(t *testing.T) {
	var groups [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			p := append(append([]string(nil), path...), sub.Name())
			if sub.HasSubCommands() {
				groups = append(groups, p)
				walk(sub, p)
			}
		}
	}
	walk(NewCmdRoot(cmdutil.NewFactory(iostreams.System(), "test")), nil)
	if len(groups) < 8 {
		t.Fatalf("only %d groups: %v", len(groups), groups)
	}
	for _, g := range groups {
		ios, _, out, errOut := iostreams.Test()
		if code := Main(ios, append(g, "bogus")); code != cmdutil.ExitUsage {
			t.Errorf("%v bogus: exit %d, want %d; stderr %q", g, code, cmdutil.ExitUsage, errOut)
		}
		if out.Len() != 0 || !strings.Contains(errOut.String(), `unknown command "bogus" for "evtctl `+strings.Join(g, " ")+`"`) {
			t.Errorf("%v bogus: stdout %q, stderr %q", g, out, errOut)
		}
		ios, _, out, _ = iostreams.Test()
		if code := Main(ios, g); code != cmdutil.ExitOK || !strings.Contains(out.String(), "Usage:") {
			t.Errorf("%v: exit %d, stdout %q", g, code, out)
		}
	}
	// A misspelt verb gets a suggestion.
	ios, _, _, errOut := iostreams.Test()
	if code := Main(ios, []string{"config", "chek"}); code != cmdutil.ExitUsage || !strings.Contains(errOut.String(), "did you mean check?") {
		t.Errorf("config chek: exit %d, stderr %q", code, errOut)
	}
}
