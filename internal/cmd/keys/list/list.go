// Package list implements `evtctl keys list`.
package list

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/keys/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// ListOptions are the inputs of `evtctl keys list`.
type ListOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	Owner string // --owner: only this tenant's keys
	Limit int    // --limit: at most this many; 0 = all
}

// NewCmdList builds `evtctl keys list`. runF replaces the real run in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{Factory: f, Client: func() (*apiclient.Client, error) { return apiclient.FromFactory(f) }}
	cmd := &cobra.Command{
		Use:     "list [--owner TENANT]",
		Aliases: []string{"ls"},
		Short:   "List API keys (never their tokens)",
		Example: "  evtctl keys list --owner acme\n  evtctl keys list --owner acme -q | xargs evtctl keys revoke",
		Args:    cmdhelp.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdhelp.CheckLimit(opts.Limit); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Owner, "owner", "", "only keys of this tenant")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "list at most this many (0 = all)")
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	items, err := apiclient.ListAll[shared.Key](ctx, c, shared.Resource.Path, cmdhelp.ListQuery(nil, "", opts.Owner), opts.Limit)
	if err != nil {
		return cmdhelp.FieldErrors(err)
	}
	return cmdutil.Print(opts.Factory, items, shared.Columns)
}
