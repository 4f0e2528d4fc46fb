package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes this test binary double as the evtctl command: scripts
// and tests exec "evtctl" from $PATH and get the real main.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"evtctl": main})
}

// TestScripts runs the end-to-end scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: scriptCmds,
	})
}
