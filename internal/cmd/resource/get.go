package resource

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
)

// GetCmd describes the `get` command of a resource that prints as T: the
// commands differ only in their help and their table.
type GetCmd[T any] struct {
	Resource    Resource
	Short, Long string
	Columns     []cmdutil.Column[T]
}

// New builds the command: it fetches the resource and prints it (a missing
// id: exit code 3).
func (g GetCmd[T]) New(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "get ID",
		Short:             g.Short,
		Long:              g.Long,
		Args:              IDArgs(g.Resource.Kind, false),
		ValidArgsFunction: FirstArgIDs(f, g.Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.APIClient()
			if err != nil {
				return err
			}
			var item T
			if err := g.Resource.Get(cmd.Context(), c, args[0], &item); err != nil {
				return err
			}
			return cmdutil.PrintOne(f, item, g.Columns)
		},
	}
}
