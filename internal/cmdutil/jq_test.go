package cmdutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/iostreams"
)

func TestTableFitsTerminal(t *testing.T) {
	old := timeNow
	timeNow = func() time.Time { return testNow }
	t.Cleanup(func() { timeNow = old })

	f, ios := testFactory("table", true, false)
	ios.SetTerminalWidth(60)
	if err := Print(f, testItems, testCols); err != nil {
		t.Fatal(err)
	}
	got := ios.Out.(interface{ String() string }).String()
	want := "" +
		"ID     NAME           TYPE       CREATED  URL\n" +
		"ep_1   alerts         webhook    3m ago   https://example.c…\n" +
		"ep_22  wall display…  websocket  1d ago\n"
	if got != want {
		t.Errorf("width 60:\n%s\nwant:\n%s", got, want)
	}

	// Narrower still: the widest columns give way in turn, never the id or a
	// time, and no line is wider than the terminal while something can give.
	f, ios = testFactory("table", true, false)
	ios.SetTerminalWidth(44)
	if err := Print(f, testItems, testCols); err != nil {
		t.Fatal(err)
	}
	got = ios.Out.(interface{ String() string }).String()
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if n := len([]rune(l)); n > 44 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
	if !strings.Contains(got, "ep_22  wall di…") || !strings.Contains(got, "1d ago") {
		t.Errorf("width 44:\n%s", got)
	}

	// Not a terminal: whole cells, as before.
	f, ios = testFactory("table", false, false)
	ios.SetTerminalWidth(20)
	if err := Print(f, testItems, testCols); err != nil {
		t.Fatal(err)
	}
	if got := ios.Out.(interface{ String() string }).String(); !strings.Contains(got, "https://example.com/hook?a=1&b=<2>") {
		t.Errorf("piped output cut: %q", got)
	}
}

func TestJQ(t *testing.T) {
	run := func(expr string, tty bool, print func(*Factory) error) (string, error) {
		f, ios := testFactory("", tty, false)
		f.Globals.JQ = expr
		if err := CheckJQ(f, false); err != nil {
			return "", err
		}
		err := print(f)
		return ios.Out.(interface{ String() string }).String(), err
	}
	list := func(f *Factory) error { return Print(f, testItems, testCols) }

	for _, tt := range []struct {
		expr string
		tty  bool
		want string
	}{
		{".[].id", false, "ep_1\nep_22\n"}, // strings raw
		// gojq sorts object keys; numbers keep their spelling.
		{".[1].extra", false, `{"a":"123","b":1.50}` + "\n"},
		{".[1].extra", true, "{\n  \"a\": \"123\",\n  \"b\": 1.50\n}\n"},
		{"length", false, "2\n"},
		{".[] | select(.type == \"websocket\") | .port", false, "1e2\n"},
		{"[.[].id]", false, `["ep_1","ep_22"]` + "\n"},
		{"empty", false, ""},
	} {
		got, err := run(tt.expr, tt.tty, list)
		if err != nil || got != tt.want {
			t.Errorf("--jq %q (tty %v) = %q, %v; want %q", tt.expr, tt.tty, got, err, tt.want)
		}
	}

	// One object, and NDJSON lines: the expression runs over each value.
	got, err := run(".name", false, func(f *Factory) error { return PrintOne(f, testItems[0], testCols) })
	if err != nil || got != "alerts\n" {
		t.Errorf("PrintOne: %q %v", got, err)
	}
	got, err = run(".n", false, func(f *Factory) error {
		for _, l := range []string{`{"n": 1}`, `{"n":"two"}`} {
			if err := WriteJSONLine(f, []byte(l)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || got != "1\ntwo\n" {
		t.Errorf("lines: %q %v", got, err)
	}

	// A bad expression is a usage error, before anything runs.
	if _, err := run(".[", false, list); ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "invalid --jq expression") {
		t.Errorf("bad expression: %v", err)
	}
	if _, err := run("nosuchfunction(1)", false, list); ExitCode(err) != ExitUsage {
		t.Errorf("unknown function: %v", err)
	}
	// An error while evaluating is a failure.
	if _, err := run(".[0] | .id | .x", false, list); err == nil || ExitCode(err) != ExitFailure || !strings.Contains(err.Error(), "--jq") {
		t.Errorf("runtime error: %v", err)
	}

	// With another explicit format or -q: usage error; with -o json: fine.
	f, _ := testFactory("yaml", false, false)
	f.Globals.JQ = "."
	if err := CheckJQ(f, true); ExitCode(err) != ExitUsage {
		t.Errorf("--jq with -o yaml: %v", err)
	}
	f, _ = testFactory("table", false, false)
	f.Globals.JQ, f.Globals.Quiet = ".", true
	if err := CheckJQ(f, false); ExitCode(err) != ExitUsage {
		t.Errorf("--jq with -q: %v", err)
	}
	f, _ = testFactory("json", false, false)
	f.Globals.JQ = "."
	if err := CheckJQ(f, true); err != nil || f.Globals.Output != OutputJSON {
		t.Errorf("--jq with -o json: %v", err)
	}
	f, _ = testFactory("table", false, false) // the default of -o
	f.Globals.JQ = "."
	if err := CheckJQ(f, false); err != nil || f.Globals.Output != OutputJSON {
		t.Errorf("--jq implies json: %v %q", err, f.Globals.Output)
	}
}

func TestContexts(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "evtctl", "config.yaml")
	tokFile := filepath.Join(dir, "edge.token")
	if err := os.WriteFile(tokFile, []byte("edgetok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	newF := func(env map[string]string, g Globals) (*Factory, *iostreams.IOStreams) {
		ios, _, _, _ := iostreams.Test()
		return &Factory{IOStreams: ios, Globals: &g,
			Getenv:         func(k string) string { return env[k] },
			UserConfigPath: func() string { return cfgPath }}, ios
	}

	f, _ := newF(nil, Globals{})
	cfg := &UserConfig{
		CurrentContext: "cloud",
		Contexts: []Context{
			{Name: "cloud", Server: "https://cloud:8100", Token: "cloudtok"},
			{Name: "edge", Server: "http://edge:8100", TokenFile: tokFile},
		},
		Extra: map[string]any{"owner": "acme"},
	}
	if err := f.WriteUserConfig(cfg); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{cfgPath: 0o600, filepath.Dir(cfgPath): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	back, err := f.ReadUserConfig()
	if err != nil || back.Extra["owner"] != "acme" || back.Find("edge").TokenFile != tokFile {
		t.Errorf("read back: %+v %v", back, err)
	}

	settings := func(env map[string]string, g Globals) string {
		f, _ := newF(env, g)
		s, err := f.Settings()
		if err != nil {
			return "error: " + err.Error()
		}
		return s.Server + " " + s.Token
	}
	for _, tt := range []struct {
		env  map[string]string
		g    Globals
		want string
	}{
		{nil, Globals{}, "https://cloud:8100 cloudtok"},             // current context
		{nil, Globals{Context: "edge"}, "http://edge:8100 edgetok"}, // --context, token from its file
		{map[string]string{"EVTCTL_SERVER": "http://env:1"}, Globals{Context: "edge"}, "http://env:1 edgetok"},
		{map[string]string{"EVTCTL_TOKEN": "envtok"}, Globals{}, "https://cloud:8100 envtok"},
		{map[string]string{"EVTCTL_TOKEN": "envtok"}, Globals{Token: "flagtok", Server: "http://flag:2"}, "http://flag:2 flagtok"},
		{nil, Globals{Context: "nope"}, `error: no context named "nope"`},
	} {
		if got := settings(tt.env, tt.g); !strings.HasPrefix(got, tt.want) {
			t.Errorf("env %v globals %+v: %q, want %q", tt.env, tt.g, got, tt.want)
		}
	}
	f, _ = newF(nil, Globals{Context: "nope"})
	if _, err := f.Settings(); ExitCode(err) != ExitUsage {
		t.Errorf("unknown --context: %v", err)
	}

	// A token file others may read is refused (not with a token given
	// otherwise: it is not read then).
	if err := os.Chmod(tokFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := settings(nil, Globals{Context: "edge"}); !strings.Contains(got, "refusing to read a token from "+tokFile) || !strings.Contains(got, "chmod 600") {
		t.Errorf("readable token file: %q", got)
	}
	if got := settings(nil, Globals{Context: "edge", Token: "t"}); got != "http://edge:8100 t" {
		t.Errorf("readable token file, --token: %q", got)
	}

	// A config file holding a token that others may read: used, with one
	// warning.
	if err := os.Chmod(cfgPath, 0o644); err != nil {
		t.Fatal(err)
	}
	f, ios := newF(nil, Globals{})
	f.Settings()
	f.Settings()
	if got := ios.ErrOut.(interface{ String() string }).String(); strings.Count(got, "warning: "+cfgPath+" holds a token and is readable by group or others") != 1 {
		t.Errorf("warning: %q", got)
	}

	// Without contexts, the top-level server and token (the file of old).
	if err := os.WriteFile(cfgPath, []byte("server: http://old:1\ntoken: oldtok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := settings(nil, Globals{}); got != "http://old:1 oldtok" {
		t.Errorf("top level: %q", got)
	}
}
