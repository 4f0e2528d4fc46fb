// Command evtctl is the event-streaming gateway (evtctl serve) and the
// command-line suite around it. All logic lives in internal/cmd; main only
// builds the root command, runs it and turns the outcome into an exit code.
package main

import (
	"os"

	"github.com/evtctl/evtctl/internal/cmd/root"
	"github.com/evtctl/evtctl/internal/iostreams"
)

func main() {
	os.Exit(root.Main(iostreams.System(), os.Args[1:]))
}
