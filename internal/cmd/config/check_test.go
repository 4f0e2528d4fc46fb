package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/iostreams"
)

func TestNewCmdCheckArgs(t *testing.T) {
	tests := []struct {
		args    string
		want    string
		wantErr bool
	}{
		{"", "evtctl.yaml", false},
		{"/etc/evtctl.yaml", "/etc/evtctl.yaml", false},
		{"-", "-", false},
		{"a b", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			var got *CheckOptions
			cmd := NewCmdCheck(cmdutil.NewFactory(ios, "test"), func(o *CheckOptions) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr {
				if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.File != tt.want {
				t.Errorf("File = %q, want %q", got.File, tt.want)
			}
		})
	}
}

func write(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckRun(t *testing.T) {
	// OK: the template.
	p := write(t, string(config.Template()))
	ios, _, out, errOut := iostreams.Test()
	if err := checkRun(&CheckOptions{IO: ios, File: p}); err != nil {
		t.Fatal(err)
	}
	if out.String() != p+": OK\n" || errOut.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}

	// Problems: every one on stderr, silent error (exit 1).
	p = write(t, "storag:\n  x: 1\nstorage:\n  max_age: 7x\n")
	ios, _, out, errOut = iostreams.Test()
	err := checkRun(&CheckOptions{IO: ios, File: p})
	if !errors.Is(err, cmdutil.ErrSilent) || cmdutil.ExitCode(err) != cmdutil.ExitFailure {
		t.Fatalf("err = %v", err)
	}
	want := p + `:1: unknown key "storag" (did you mean "storage"?)` + "\n" +
		p + `:4: storage.max_age: invalid duration "7x"` + "\n"
	if errOut.String() != want || out.Len() != 0 {
		t.Errorf("stderr %q\nwant   %q\nstdout %q", errOut, want, out)
	}

	// Missing file.
	err = checkRun(&CheckOptions{IO: ios, File: filepath.Join(t.TempDir(), "none.yaml")})
	if err == nil || !strings.Contains(err.Error(), "does not exist") || cmdutil.ExitCode(err) != cmdutil.ExitFailure {
		t.Errorf("err = %v", err)
	}
}

func TestCheckStdin(t *testing.T) {
	ios, in, out, errOut := iostreams.Test()
	in.WriteString("log:\n  level: loud\n")
	cmd := NewCmdCheck(cmdutil.NewFactory(ios, "test"), nil)
	cmd.SetArgs([]string{"-"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); !errors.Is(err, cmdutil.ErrSilent) {
		t.Fatalf("err = %v", err)
	}
	if want := "<stdin>:2: log.level: invalid value \"loud\": want debug, info, warn or error\n"; errOut.String() != want || out.Len() != 0 {
		t.Errorf("stderr %q", errOut)
	}
}
