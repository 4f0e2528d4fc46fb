// Package delete implements `evtctl keys revoke`.
package revoke

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/keys/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// RevokeOptions are the inputs of `evtctl keys revoke`.
type RevokeOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	IDs []string
	Yes bool // --yes: do not ask, even on a terminal
}

// NewCmdRevoke builds `evtctl keys revoke`. runF replaces the real run in tests.
func NewCmdRevoke(f *cmdutil.Factory, runF func(*RevokeOptions) error) *cobra.Command {
	opts := &RevokeOptions{Factory: f, Client: func() (*apiclient.Client, error) { return apiclient.FromFactory(f) }}
	cmd := &cobra.Command{
		Use:     "revoke ID...",
		Aliases: []string{"delete", "rm"},
		Short:   "Revoke API keys",
		Long: "Revoke API keys: requests with their tokens fail from now on and their open\n" +
			"streams close within a second on every node. On a terminal this asks first\n" +
			"unless --yes is given; in a script it does not ask.",
		Example:           "  evtctl keys revoke abc123def456\n  evtctl keys list --owner old-tenant -q | xargs evtctl keys revoke",
		Args:              cmdhelp.IDArgs(shared.Resource.Kind, true),
		ValidArgsFunction: cmdhelp.FirstArgIDs(f, shared.Resource.Path, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IDs = args
			if runF != nil {
				return runF(opts)
			}
			return revokeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func revokeRun(ctx context.Context, opts *RevokeOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	return cmdhelp.DeleteIDs(ctx, opts.Factory, c, shared.Resource, opts.IDs, opts.Yes, "revoke")
}
