package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/iostreams"
)

func TestNewCmdInitFlags(t *testing.T) {
	tests := []struct {
		args    string
		want    InitOptions
		wantErr string
	}{
		{"", InitOptions{File: "evtctl.yaml"}, ""},
		{"--file /tmp/x.yaml --force", InitOptions{File: "/tmp/x.yaml", Force: true}, ""},
		{"-f -", InitOptions{File: "-"}, ""},
		{"extra", InitOptions{}, "config init takes no arguments; use --file extra"},
		{"--file=", InitOptions{}, "--file must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := cmdutil.NewFactory(ios, "test")
			var got *InitOptions
			cmd := NewCmdInit(f, func(o *InitOptions) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
					t.Fatalf("err = %v, want usage error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.File != tt.want.File || got.Force != tt.want.Force || got.IO != ios {
				t.Errorf("opts = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestInitRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "evtctl.yaml")
	ios, _, out, errOut := iostreams.Test()
	if err := initRun(&InitOptions{IO: ios, File: path}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, config.Template()) {
		t.Error("file is not the template")
	}
	if errOut.String() != "Wrote "+path+"\n" || out.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}

	// No overwrite without --force.
	if err := os.WriteFile(path, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = initRun(&InitOptions{IO: ios, File: path})
	if err == nil || err.Error() != path+" already exists; use --force to overwrite it" || cmdutil.ExitCode(err) != cmdutil.ExitFailure {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "mine" {
		t.Error("file overwritten without --force")
	}
	if err := initRun(&InitOptions{IO: ios, File: path, Force: true}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, config.Template()) {
		t.Error("--force did not overwrite")
	}
}

func TestInitRunStdout(t *testing.T) {
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.NewFactory(ios, "test")
	cmd := NewCmdInit(f, nil)
	cmd.SetArgs([]string{"--file", "-"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), config.Template()) || errOut.Len() != 0 {
		t.Errorf("stdout %d bytes, stderr %q", out.Len(), errOut)
	}
}
