// Package rules implements the `evtctl rules` command group.
package rules

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
)

// NewCmdRules builds `evtctl rules`.
func NewCmdRules(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rules <command>",
		Aliases: []string{"rule"},
		Short:   "Manage composite rules (events derived from bursts of sound events)",
		Long: "A composite rule turns a burst of sound events (from an edge box's microphones) into one composite\n" +
			"event, streamed on /api/v1/ws/composite-events. These commands need an admin key.",
	}
	cmd.AddCommand(newCmdCreate(f), newCmdList(f), newCmdGet(f), newCmdUpdate(f), newCmdDelete(f))
	return cmd
}
