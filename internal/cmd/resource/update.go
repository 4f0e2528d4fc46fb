package resource

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evtctl/evtctl/internal/cmdutil"
)

// UpdateCmd describes the `update` command of a resource that prints as T:
// a PATCH of the fields whose flags were given.
type UpdateCmd[T any] struct {
	Resource             Resource
	Short, Long, Example string
	Fields               []Field
	// AddFlags adds the field flags (shared with create).
	AddFlags func(*cobra.Command, *cmdutil.Factory)
	// Check, when set, validates the flags beyond what Fields says.
	Check   func(*pflag.FlagSet) error
	Columns []cmdutil.Column[T]
}

// New builds the command: it sends the PATCH and prints the updated
// resource.
func (u UpdateCmd[T]) New(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:               "update ID [flags]",
		Short:             u.Short,
		Long:              u.Long,
		Example:           u.Example,
		Args:              IDArgs(u.Resource.Kind, false),
		ValidArgsFunction: FirstArgIDs(f, u.Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if u.Check != nil {
				if err := u.Check(fl); err != nil {
					return err
				}
			}
			body, err := BodyFromFlags(fl, u.Fields)
			if err != nil {
				return err
			}
			if len(body) == 0 {
				return NothingToUpdate(u.Fields)
			}
			c, err := f.APIClient()
			if err != nil {
				return err
			}
			var item T
			if err := u.Resource.Update(cmd.Context(), c, args[0], body, &item); err != nil {
				return err
			}
			return cmdutil.PrintOne(f, item, u.Columns)
		},
	}
	u.AddFlags(cmd, f)
	return cmd
}
