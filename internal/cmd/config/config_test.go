package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/config"
)

// run runs `evtctl config args` with stdin.
func run(stdin string, args ...string) (*cmdtest.Streams, error) {
	f, s := cmdtest.Factory("", "")
	s.In.WriteString(stdin)
	return s, cmdtest.Run(Command.New(f), args...)
}

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsageErrors(t *testing.T) {
	for args, want := range map[string]string{
		"init extra":    "config init takes no arguments; use --file extra",
		"init --file=":  "--file must not be empty",
		"check a b":     "config check takes at most one file, got 2",
		"init -f a b c": "config init takes no arguments; use --file b",
	} {
		_, err := run("", strings.Fields(args)...)
		if err == nil || err.Error() != want || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("%s: err = %v, want usage error %q", args, err, want)
		}
	}
}

// Both default to evtctl.yaml in the working directory.
func TestInitThenCheckDefaultFile(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := run("", "check")
	if err == nil || err.Error() != "evtctl.yaml does not exist (write one with 'evtctl config init')" || cmdutil.ExitCode(err) != cmdutil.ExitFailure {
		t.Fatalf("check before init: err = %v", err)
	}
	if s, err := run("", "init"); err != nil || s.ErrOut.String() != "Wrote evtctl.yaml\n" || s.Out.Len() != 0 {
		t.Fatalf("init: err %v, stdout %q, stderr %q", err, s.Out, s.ErrOut)
	}
	if s, err := run("", "check"); err != nil || s.Out.String() != "evtctl.yaml: OK\n" || s.ErrOut.Len() != 0 {
		t.Errorf("check: err %v, stdout %q, stderr %q", err, s.Out, s.ErrOut)
	}
}

func TestInit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "evtctl.yaml")
	if _, err := run("", "init", "--file", path); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, config.Template()) {
		t.Error("file is not the template")
	}

	// No overwrite without --force.
	if err := os.WriteFile(path, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := run("", "init", "--file", path)
	if err == nil || err.Error() != path+" already exists; use --force to overwrite it" || cmdutil.ExitCode(err) != cmdutil.ExitFailure {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "mine" {
		t.Error("file overwritten without --force")
	}
	if _, err := run("", "init", "--file", path, "--force"); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, config.Template()) {
		t.Error("--force did not overwrite")
	}

	// - is standard output, and nothing else is said.
	s, err := run("", "init", "-f", "-")
	if err != nil || !bytes.Equal(s.Out.Bytes(), config.Template()) || s.ErrOut.Len() != 0 {
		t.Errorf("err %v, stdout %d bytes, stderr %q", err, s.Out.Len(), s.ErrOut)
	}
}

func TestCheck(t *testing.T) {
	// Problems: every one on stderr, silent error (exit 1).
	p := write(t, "storag:\n  x: 1\nstorage:\n  max_age: 7x\n")
	s, err := run("", "check", p)
	if !errors.Is(err, cmdutil.ErrSilent) || cmdutil.ExitCode(err) != cmdutil.ExitFailure {
		t.Fatalf("err = %v", err)
	}
	want := p + `:1: unknown key "storag" (did you mean "storage"?)` + "\n" +
		p + `:4: storage.max_age: invalid duration "7x"` + "\n"
	if s.ErrOut.String() != want || s.Out.Len() != 0 {
		t.Errorf("stderr %q\nwant   %q\nstdout %q", s.ErrOut, want, s.Out)
	}

	// Missing file.
	_, err = run("", "check", filepath.Join(t.TempDir(), "none.yaml"))
	if err == nil || !strings.Contains(err.Error(), "does not exist") || cmdutil.ExitCode(err) != cmdutil.ExitFailure {
		t.Errorf("err = %v", err)
	}

	// - is standard input.
	s, err = run("log:\n  level: loud\n", "check", "-")
	if !errors.Is(err, cmdutil.ErrSilent) {
		t.Fatalf("err = %v", err)
	}
	if want := "<stdin>:2: log.level: invalid value \"loud\": want debug, info, warn or error\n"; s.ErrOut.String() != want || s.Out.Len() != 0 {
		t.Errorf("stderr %q", s.ErrOut)
	}
}

func TestCommand(t *testing.T) {
	f, _ := cmdtest.Factory("", "")
	names := map[string]bool{}
	for _, c := range Command.New(f).Commands() {
		names[c.Name()] = true
	}
	if !names["init"] || !names["check"] || !names["set-context"] || !names["use-context"] || !names["get-contexts"] || len(names) != 5 {
		t.Errorf("subcommands = %v", names)
	}
}
