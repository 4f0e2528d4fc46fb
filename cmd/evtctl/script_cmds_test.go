package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/evtctl/evtctl/internal/testnet"
)

// scriptCmds are testscript commands for driving a real server:
//
//	freeport VAR       set $VAR to a free loopback host:port
//	waitready URL      poll URL/readyz until it answers 200 (30 s)
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"freeport": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: freeport VAR")
		}
		port, err := testnet.Pick()
		ts.Check(err)
		ts.Setenv(args[0], fmt.Sprintf("127.0.0.1:%d", port))
	},
	"waitready": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: waitready URL")
		}
		url := strings.TrimSuffix(args[0], "/") + "/readyz"
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if resp, err := http.Get(url); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		ts.Fatalf("%s did not become ready", url)
	},
}
