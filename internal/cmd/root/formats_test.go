package root

import (
	"os"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
)

// A command that prints no JSON, YAML or ids refuses -o, -q and --jq
// (exit 2, one sentence, nothing done: config init writes no file)
// instead of ignoring them; a command with formats accepts them.
func TestFormatFlagsOnCommandsWithoutFormats(t *testing.T) {
	file := t.TempDir() + "/evtctl.yaml"
	for _, args := range [][]string{
		{"serve", "-o", "json"},
		{"config", "init", "-f", file, "--jq", "."},
		{"config", "use-context", "edge-1", "-q"},
		{"config", "set-context", "edge-1", "--server", "http://127.0.0.1:1", "-o", "yaml"},
		{"keys", "token", "--owner", "acme", "--jq", ".token"},
		{"webhooks", "verify", "-o", "json"},
		{"completion", "bash", "-o", "json"},
	} {
		ios, _, out, errOut := iostreams.Test()
		if code := Main(ios, args); code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %q", args, code, cmdutil.ExitUsage, errOut)
		}
		if out.Len() != 0 || !strings.Contains(errOut.String(), "prints no JSON, YAML or ids: -o, -q and --jq do not apply to it.") {
			t.Errorf("%v: stdout %q, stderr %q", args, out, errOut)
		}
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("config init wrote %s although its flags were refused (%v)", file, err)
	}
	ios, _, out, errOut := iostreams.Test()
	if code := Main(ios, []string{"version", "--jq", ".version"}); code != cmdutil.ExitOK || out.Len() == 0 {
		t.Errorf("version --jq: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
