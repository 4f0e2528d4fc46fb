// Package rules implements the `evtctl rules` command group.
package rules

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/rules/create"
	"github.com/evtctl/evtctl/internal/cmd/rules/delete"
	"github.com/evtctl/evtctl/internal/cmd/rules/get"
	"github.com/evtctl/evtctl/internal/cmd/rules/list"
	"github.com/evtctl/evtctl/internal/cmd/rules/update"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// NewCmdRules builds `evtctl rules`.
func NewCmdRules(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "rules <command>",
		Aliases: []string{"rule"},
		Short:   "Manage composite rules (events derived from bursts of sound events)",
		Long: "A composite rule turns a burst of sound events (document 000) into one composite\n" +
			"event, streamed on /api/v1/ws/composite-events. These commands need an admin key.",
	}
	cmd.AddCommand(create.NewCmdCreate(f, nil))
	cmd.AddCommand(list.NewCmdList(f, nil))
	cmd.AddCommand(get.NewCmdGet(f, nil))
	cmd.AddCommand(update.NewCmdUpdate(f, nil))
	cmd.AddCommand(delete.NewCmdDelete(f, nil))
	return cmd
}
