package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestContexts(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "xdg", "evtctl", "config.yaml")
	edge := filepath.Join(dir, "edge.token")
	if err := os.WriteFile(edge, []byte("evt_edge_secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(setup func(*cmdutil.Factory), args ...string) (*cmdtest.Streams, error) {
		f, s := cmdtest.Factory("", "")
		f.UserConfigPath = func() string { return cfgPath }
		if setup != nil {
			setup(f)
		}
		return s, cmdtest.Run(Command.New(f), args...)
	}

	// A new context needs a server; --token and --token-file exclude each other.
	for args, want := range map[string]string{
		"set-context edge": "a new context needs --server",
		"set-context edge --server http://e --token a --token-file b": "give --token or --token-file, not both",
		"set-context edge --server ftp://e":                           `"ftp://e"`,
		"use-context nope":                                            `no context named "nope"`,
	} {
		if _, err := run(nil, strings.Fields(args)...); cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want usage error %q", args, err, want)
		}
	}

	// The first context becomes current; the file is 0600 in a 0700 directory.
	s, err := run(nil, "set-context", "edge", "--server", "http://edge:8100", "--token-file", edge)
	if err != nil || !strings.Contains(s.ErrOut.String(), `Added context "edge"`) || !strings.Contains(s.ErrOut.String(), "it is the current context") {
		t.Fatalf("set-context edge: %v %q", err, s.ErrOut)
	}
	for p, want := range map[string]os.FileMode{cfgPath: 0o600, filepath.Dir(cfgPath): 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	if _, err := run(nil, "set-context", "cloud", "--server", "https://cloud.example.com", "--token", "evt_cloud_secret"); err != nil {
		t.Fatal(err)
	}

	// get-contexts: the current one marked, tokens never printed.
	s, err = run(func(f *cmdutil.Factory) { f.IOStreams.SetStdoutTTY(true); f.IOStreams.SetTerminalWidth(200) }, "get-contexts")
	want := "CURRENT  NAME   SERVER                     TOKEN\n" +
		"*        edge   http://edge:8100           " + edge + "\n" +
		"         cloud  https://cloud.example.com  stored\n"
	if err != nil || s.Out.String() != want {
		t.Errorf("get-contexts:\n%s\nwant:\n%s(%v)", s.Out, want, err)
	}
	s, err = run(func(f *cmdutil.Factory) { f.Globals.Output = "json" }, "get-contexts")
	if err != nil || strings.Contains(s.Out.String(), "secret") || !strings.Contains(s.Out.String(), `"token": "stored"`) {
		t.Errorf("get-contexts -o json: %v %s", err, s.Out)
	}
	data, _ := os.ReadFile(cfgPath)
	if !strings.Contains(string(data), "evt_cloud_secret") || strings.Contains(string(data), "evt_edge_secret") {
		t.Errorf("config file:\n%s", data)
	}

	// use-context switches; --context overrides it for one command.
	if s, err = run(nil, "use-context", "cloud"); err != nil || s.ErrOut.String() != "Switched to context \"cloud\".\n" {
		t.Fatalf("use-context: %v %q", err, s.ErrOut)
	}
	s, _ = run(func(f *cmdutil.Factory) {
		f.Globals.JQ = `.[] | select(.current) | .name`
		_ = cmdutil.CheckJQ(f, false)
	}, "get-contexts")
	if s.Out.String() != "cloud\n" {
		t.Errorf("current after use-context: %q", s.Out)
	}
	s, _ = run(func(f *cmdutil.Factory) { f.Globals.Context = "edge"; f.Globals.Output = "json" }, "get-contexts")
	if !strings.Contains(s.Out.String(), "\"current\": true,\n    \"name\": \"edge\"") {
		t.Errorf("--context edge: %s", s.Out)
	}

	// Changing one field keeps the others.
	if _, err := run(nil, "set-context", "edge", "--server", "http://edge2:8100"); err != nil {
		t.Fatal(err)
	}
	f, _ := cmdtest.Factory("", "")
	f.UserConfigPath = func() string { return cfgPath }
	f.Globals.Context = "edge"
	if st, err := f.Settings(); err != nil || st.Server != "http://edge2:8100" || st.Token != "evt_edge_secret" {
		t.Errorf("edge settings: %+v %v", st, err)
	}

	// A token file others can read is refused when set, and when used.
	if err := os.Chmod(edge, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := run(nil, "set-context", "edge", "--token-file", edge); err == nil || !strings.Contains(err.Error(), "refusing to read a token from "+edge) {
		t.Errorf("group-readable token file: %v", err)
	}
	if _, err := f.Settings(); err == nil || !strings.Contains(err.Error(), "chmod 600 "+edge) {
		t.Errorf("group-readable token file at use: %v", err)
	}
}

func TestCheckJSON(t *testing.T) {
	p := write(t, "storag:\n  x: 1\nstorage:\n  max_age: 7x\n")
	f, s := cmdtest.Factory("", "")
	f.Globals.JQ = `[.ok, (.problems[] | "\(.line) \(.key // "-") \(.message)")]`
	if err := cmdutil.CheckJQ(f, false); err != nil {
		t.Fatal(err)
	}
	err := cmdtest.Run(Command.New(f), "check", p)
	want := `[false,"1 - unknown key \"storag\" (did you mean \"storage\"?)","4 storage.max_age invalid duration \"7x\""]` + "\n"
	if cmdutil.ExitCode(err) != cmdutil.ExitFailure || s.Out.String() != want || s.ErrOut.Len() != 0 {
		t.Errorf("err %v\nstdout %q\nwant   %q\nstderr %q", err, s.Out, want, s.ErrOut)
	}
	f, s = cmdtest.Factory("", "")
	f.Globals.Output = "json"
	p = write(t, "log:\n  level: debug\n")
	if err := cmdtest.Run(Command.New(f), "check", p); err != nil || s.Out.String() != "{\n  \"file\": \""+p+"\",\n  \"ok\": true,\n  \"problems\": []\n}\n" {
		t.Errorf("ok: %v %q", err, s.Out)
	}
}
