// Package delete implements `evtctl rules delete`.
package delete

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/rules/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// DeleteOptions are the inputs of `evtctl rules delete`.
type DeleteOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	IDs []string
	Yes bool // --yes: do not ask, even on a terminal
}

// NewCmdDelete builds `evtctl rules delete`. runF replaces the real run in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{Factory: f, Client: func() (*apiclient.Client, error) { return apiclient.FromFactory(f) }}
	cmd := &cobra.Command{
		Use:     "delete ID...",
		Aliases: []string{"rm"},
		Short:   "Delete composite rules",
		Long: "Delete composite rules; their open windows are dropped. Composite events\n" +
			"already emitted stay in the log. On a terminal this asks first unless --yes is\n" +
			"given; in a script it does not ask.",
		Example:           "  evtctl rules delete rule_123\n  evtctl rules list -q | xargs evtctl rules delete",
		Args:              cmdhelp.IDArgs(shared.Resource.Kind, true),
		ValidArgsFunction: cmdhelp.FirstArgIDs(f, shared.Resource.Path, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IDs = args
			if runF != nil {
				return runF(opts)
			}
			return deleteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	return cmdhelp.DeleteIDs(ctx, opts.Factory, c, shared.Resource, opts.IDs, opts.Yes, "delete")
}
