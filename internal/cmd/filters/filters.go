// Package filters implements the `evtctl filters` command group.
package filters

import "github.com/evtctl/evtctl/internal/cmd/resource"

// Command is `evtctl filters`.
var Command = resource.Group{
	Use:     "filters <command>",
	Aliases: []string{"filter", "event-filters"},
	Short:   "Manage event filters (which events an endpoint receives)",
	Long: "An event filter narrows what its endpoint receives by device, agent, watchlist\n" +
		"and event type. These commands need an admin key.",
	Verbs: []resource.Verb{createCmd, listCmd, getCmd, updateCmd, deleteCmd},
}
