package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/gendocs"
	"github.com/evtctl/evtctl/internal/cmd/root"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
)

// TestGeneratedDocsAreFresh fails when completions/ or man/ differ from
// what the command tree generates: run `go run ./cmd/evtctl gen-docs`.
func TestGeneratedDocsAreFresh(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := root.NewCmdRoot(cmdutil.NewFactory(ios, "test"))
	dir := t.TempDir()
	if err := gendocs.Generate(cmd, dir, gendocs.Date); err != nil {
		t.Fatal(err)
	}
	if want, got := readDir(t, filepath.Join(dir, "packaging"))["evtctl.yaml"], readDir(t, filepath.Join("..", "..", "packaging"))["evtctl.yaml"]; !bytes.Equal(want, got) {
		t.Error("packaging/evtctl.yaml is stale; run: go run ./cmd/evtctl gen-docs")
	}
	for _, sub := range []string{"completions", "man"} {
		want := readDir(t, filepath.Join(dir, sub))
		got := readDir(t, filepath.Join("..", "..", sub))
		for name, w := range want {
			if g, ok := got[name]; !ok || !bytes.Equal(g, w) {
				t.Errorf("%s/%s is stale or missing; run: go run ./cmd/evtctl gen-docs", sub, name)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("%s/%s is no longer generated; run: go run ./cmd/evtctl gen-docs", sub, name)
			}
		}
	}
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = data
	}
	return out
}
