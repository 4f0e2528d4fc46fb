package config

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md")

const referencePath = "../../docs/configuration.md"

// TestReferenceIsFresh fails when docs/configuration.md differs from what
// Reference generates, that is when a key, default, variable or
// description changed without regenerating it.
func TestReferenceIsFresh(t *testing.T) {
	want := Reference()
	if *update {
		if err := os.WriteFile(referencePath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/configuration.md is stale; run: go test ./internal/config -run TestReferenceIsFresh -update")
	}
}

// Every key appears in the reference with its environment variables and
// default, and the documented defaults are the ones Default() holds (the
// template, which Keys shares, is loaded back in config_test.go).
func TestReferenceListsEveryKey(t *testing.T) {
	ref := string(Reference())
	for _, k := range Keys() {
		row := ""
		for _, line := range strings.Split(ref, "\n") {
			if strings.HasPrefix(line, "| `"+k.Key+"` |") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("%s has no row", k.Key)
			continue
		}
		for _, env := range append([]string{k.Env}, k.EnvAliases...) {
			if !strings.Contains(row, "`"+env+"`") {
				t.Errorf("%s: row lacks %s: %s", k.Key, env, row)
			}
		}
		if k.Description == "" {
			t.Errorf("%s has no description (doc tag)", k.Key)
		}
	}
	if !strings.Contains(ref, "`server.tls_cert`") || !strings.Contains(ref, "`EVTCTL_DATA`") {
		t.Error("reference lacks expected keys")
	}
}
