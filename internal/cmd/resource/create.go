package resource

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evtctl/evtctl/internal/cmdutil"
)

// CreateCmd describes the `create` command of a resource that prints as T:
// a POST of the fields whose flags were given. The creates differ in their
// help, their flags, which flags they require, their checks and their table.
type CreateCmd[T any] struct {
	Resource                  Resource
	Use, Short, Long, Example string
	Fields                    []Field
	Required                  []string // flags that must be given
	// AddFlags adds the field flags (shared with update).
	AddFlags func(*cobra.Command, *cmdutil.Factory)
	// Check, when set, validates the flags beyond Required and may add to the
	// body what no flag maps to one to one (a key's expires_at).
	Check   func(fl *pflag.FlagSet, body Body) error
	Columns []cmdutil.Column[T]
	// Notice, when set, is a sentence for stderr after the created resource
	// is printed on a terminal ("" for none): a key's token is shown once.
	Notice func(T) string
}

// New builds the command: it sends the POST and prints the created
// resource.
func (c CreateCmd[T]) New(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     c.Use,
		Short:   c.Short,
		Long:    c.Long,
		Example: c.Example,
		Args:    NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if err := Require(fl, c.Required...); err != nil {
				return err
			}
			body, err := BodyFromFlags(fl, c.Fields)
			if err != nil {
				return err
			}
			if c.Check != nil {
				if err := c.Check(fl, body); err != nil {
					return err
				}
			}
			client, err := f.APIClient()
			if err != nil {
				return err
			}
			var item T
			if err := c.Resource.Create(cmd.Context(), client, body, &item); err != nil {
				return err
			}
			if err := cmdutil.PrintOne(f, item, c.Columns); err != nil {
				return err
			}
			if ios := f.IOStreams; c.Notice != nil && ios.IsStdoutTTY() {
				if s := c.Notice(item); s != "" {
					fmt.Fprintln(ios.ErrOut, s)
				}
			}
			return nil
		},
	}
	c.AddFlags(cmd, f)
	return cmd
}
