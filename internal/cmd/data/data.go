// Package data implements the `evtctl data` command group: offline work on
// a gateway's data directory.
package data

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// Command is `evtctl data`.
var Command = resource.Group{
	Use:   "data <command>",
	Short: "Check a gateway's data directory offline",
	Long: "Work on the data directory of a stopped gateway (evtctl serve --data DIR):\n" +
		"the embedded NATS JetStream store of events, keys, endpoints and webhook records.",
	Verbs: []resource.Verb{resource.Func(func(f *cmdutil.Factory) *cobra.Command { return NewCmdCheck(f, nil) })},
}
