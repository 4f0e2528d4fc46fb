package cmdhelp

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// UpdateOptions are the inputs of a resource's `update` command.
type UpdateOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	ID   string
	Body Body // only the fields whose flags were given
}

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

// New builds the command. runF replaces the real run in tests.
func (u UpdateCmd[T]) New(f *cmdutil.Factory, runF func(*UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{Factory: f, Client: f.APIClient}
	cmd := &cobra.Command{
		Use:               "update ID [flags]",
		Short:             u.Short,
		Long:              u.Long,
		Example:           u.Example,
		Args:              IDArgs(u.Resource.Kind, false),
		ValidArgsFunction: FirstArgIDs(f, u.Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
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
			opts.Body = body
			if runF != nil {
				return runF(opts)
			}
			return u.Run(cmd.Context(), opts)
		},
	}
	u.AddFlags(cmd, f)
	return cmd
}

// Run sends the PATCH and prints the updated resource.
func (u UpdateCmd[T]) Run(ctx context.Context, opts *UpdateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var item T
	if err := u.Resource.Update(ctx, c, opts.ID, opts.Body, &item); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, item, u.Columns)
}
