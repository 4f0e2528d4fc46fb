// Package list implements `evtctl endpoints list`.
package list

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// ListOptions are the inputs of `evtctl endpoints list`.
type ListOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	IDs   []string // --id: only these
	Type  string   // --type
	Sort  string   // --sort
	Owner string   // --owner (admin keys: one tenant)
	Limit int      // --limit: at most this many; 0 = all
}

// NewCmdList builds `evtctl endpoints list`. runF replaces the real run in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{Factory: f, Client: func() (*apiclient.Client, error) { return apiclient.FromFactory(f) }}
	cmd := &cobra.Command{
		Use:     "list [flags]",
		Aliases: []string{"ls"},
		Short:   "List endpoints",
		Example: "  evtctl endpoints list --type webhook --sort -created_at\n" +
			"  evtctl endpoints list -q | xargs evtctl endpoints delete",
		Args: cmdhelp.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdhelp.OneOf("type", opts.Type, shared.Types); err != nil {
				return err
			}
			if err := cmdhelp.OneOf("sort", opts.Sort, shared.Sorts); err != nil {
				return err
			}
			if err := cmdhelp.CheckLimit(opts.Limit); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.IDs, "id", nil, "only this endpoint (repeatable)")
	fl.StringVar(&opts.Type, "type", "", "only endpoints of this type: websocket or webhook")
	fl.StringVar(&opts.Sort, "sort", "", "order: created_at, updated_at, or either with - for newest first")
	fl.StringVar(&opts.Owner, "owner", "", "only endpoints of this tenant")
	fl.IntVar(&opts.Limit, "limit", 0, "list at most this many (0 = all)")
	_ = cmd.RegisterFlagCompletionFunc("type", cmdhelp.Enum(shared.Types...))
	_ = cmd.RegisterFlagCompletionFunc("sort", cmdhelp.Enum(shared.Sorts...))
	_ = cmd.RegisterFlagCompletionFunc("id", cmdhelp.IDs(f, shared.Resource.Path))
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	q := cmdhelp.ListQuery(opts.IDs, opts.Sort, opts.Owner)
	if opts.Type != "" {
		q.Set("type", opts.Type)
	}
	items, err := apiclient.ListAll[shared.Endpoint](ctx, c, shared.Resource.Path, q, opts.Limit)
	if err != nil {
		return cmdhelp.FieldErrors(err)
	}
	return cmdutil.Print(opts.Factory, items, shared.Columns)
}
