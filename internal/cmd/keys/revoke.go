// Package revoke implements `evtctl keys revoke`.
package revoke

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/keys/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// RevokeOptions are the inputs of `evtctl keys revoke`.
type RevokeOptions = cmdhelp.DeleteOptions

var command = cmdhelp.DeleteCmd{
	Resource: shared.Resource,
	Verb:     "revoke",
	Aliases:  []string{"delete", "rm"},
	Short:    "Revoke API keys",
	Long: "Revoke API keys: requests with their tokens fail from now on and their open\n" +
		"streams close within a second on every node. On a terminal this asks first\n" +
		"unless --yes is given; in a script it does not ask.",
	Example: "  evtctl keys revoke abc123def456\n  evtctl keys list --owner old-tenant -q | xargs evtctl keys revoke",
}

// NewCmdRevoke builds `evtctl keys revoke`. runF replaces the real run in tests.
func NewCmdRevoke(f *cmdutil.Factory, runF func(*RevokeOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func revokeRun(ctx context.Context, opts *RevokeOptions) error { return command.Run(ctx, opts) }
