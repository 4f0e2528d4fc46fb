// Package filters implements the `evtctl filters` command group.
package filters

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/filters/create"
	"github.com/evtctl/evtctl/internal/cmd/filters/delete"
	"github.com/evtctl/evtctl/internal/cmd/filters/get"
	"github.com/evtctl/evtctl/internal/cmd/filters/list"
	"github.com/evtctl/evtctl/internal/cmd/filters/update"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// NewCmdFilters builds `evtctl filters`.
func NewCmdFilters(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "filters <command>",
		Aliases: []string{"filter", "event-filters"},
		Short:   "Manage event filters (which events an endpoint receives)",
		Long: "An event filter narrows what its endpoint receives by device, agent, watchlist\n" +
			"and event type. These commands need an admin key.",
	}
	cmd.AddCommand(create.NewCmdCreate(f, nil))
	cmd.AddCommand(list.NewCmdList(f, nil))
	cmd.AddCommand(get.NewCmdGet(f, nil))
	cmd.AddCommand(update.NewCmdUpdate(f, nil))
	cmd.AddCommand(delete.NewCmdDelete(f, nil))
	return cmd
}
