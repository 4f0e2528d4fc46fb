// Package events implements the `evtctl events` command group.
package events

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/events/query"
	"github.com/evtctl/evtctl/internal/cmd/events/send"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// NewCmdEvents builds `evtctl events`.
func NewCmdEvents(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "events <command>",
		Aliases: []string{"event"},
		Short:   "Send events to the gateway and read recorded ones",
		Long: "Send events (needs a key with events:write) and query the event log (events:read).\n" +
			"For live events use 'evtctl tail'.",
	}
	cmd.AddCommand(send.NewCmdSend(f), query.NewCmdQuery(f))
	return cmd
}
