// Package keys implements the `evtctl keys` command group.
package keys

import "github.com/evtctl/evtctl/internal/cmd/resource"

// Command is `evtctl keys`. Keys cannot be changed once created (the
// API has no update): revoke one and create another.
var Command = resource.Group{
	Use:     "keys <command>",
	Aliases: []string{"key"},
	Short:   "Manage API keys",
	Long: "API keys authenticate every request. A key has an owner (tenant), scopes and an\n" +
		"optional expiry, and cannot be changed: revoke it and create another. These\n" +
		"commands need an admin key.",
	Verbs: []resource.Verb{createCmd, listCmd, getCmd, revokeCmd, resource.Func(NewCmdToken)},
}
