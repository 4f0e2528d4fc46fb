// Package rules implements the `evtctl rules` command group.
package rules

import "github.com/evtctl/evtctl/internal/cmd/resource"

// Command is `evtctl rules`.
var Command = resource.Group{
	Use:     "rules <command>",
	Aliases: []string{"rule"},
	Short:   "Manage composite rules (events derived from bursts of sound events)",
	Long: "A composite rule turns a burst of sound events (from an edge box's microphones) into one composite\n" +
		"event, streamed on /api/v1/ws/composite-events. These commands need an admin key.",
	Verbs: []resource.Verb{createCmd, listCmd, getCmd, updateCmd, deleteCmd},
}
