package cmdhelp

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// GetOptions are the inputs of a resource's `get` command.
type GetOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)
	ID      string
}

// GetCmd describes the `get` command of a resource that prints as T: the
// commands differ only in their help and their table.
type GetCmd[T any] struct {
	Resource    Resource
	Short, Long string
	Columns     []cmdutil.Column[T]
}

// New builds the command. runF replaces the real run in tests.
func (g GetCmd[T]) New(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{Factory: f, Client: f.APIClient}
	return &cobra.Command{
		Use:               "get ID",
		Short:             g.Short,
		Long:              g.Long,
		Args:              IDArgs(g.Resource.Kind, false),
		ValidArgsFunction: FirstArgIDs(f, g.Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return g.Run(cmd.Context(), opts)
		},
	}
}

// Run fetches the resource and prints it (a missing id: exit code 3).
func (g GetCmd[T]) Run(ctx context.Context, opts *GetOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var item T
	if err := g.Resource.Get(ctx, c, opts.ID, &item); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, item, g.Columns)
}
