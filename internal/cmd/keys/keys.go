// Package keys implements the `evtctl keys` command group.
package keys

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
)

// NewCmdKeys builds `evtctl keys`. Keys cannot be changed once created (the
// API has no update): revoke one and create another.
func NewCmdKeys(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "keys <command>",
		Aliases: []string{"key"},
		Short:   "Manage API keys",
		Long: "API keys authenticate every request. A key has an owner (tenant), scopes and an\n" +
			"optional expiry, and cannot be changed: revoke it and create another. These\n" +
			"commands need an admin key.",
	}
	cmd.AddCommand(newCmdCreate(f), newCmdList(f), newCmdGet(f), newCmdRevoke(f))
	return cmd
}
