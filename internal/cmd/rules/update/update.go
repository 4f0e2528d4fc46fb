// Package update implements `evtctl rules update`.
package update

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/rules/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// UpdateOptions are the inputs of `evtctl rules update`.
type UpdateOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	ID   string
	Body cmdhelp.Body // only the fields whose flags were given
}

// NewCmdUpdate builds `evtctl rules update`. runF replaces the real run in tests.
func NewCmdUpdate(f *cmdutil.Factory, runF func(*UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{Factory: f, Client: func() (*apiclient.Client, error) { return apiclient.FromFactory(f) }}
	cmd := &cobra.Command{
		Use:   "update ID [flags]",
		Short: "Change fields of a composite rule",
		Long: "Change the fields given as flags and leave the others as they are (PATCH).\n" +
			shared.ListHelp,
		Example:           "  evtctl rules update rule_123 --enabled=false\n  evtctl rules update rule_123 --window-seconds 60 --min-events 5",
		Args:              cmdhelp.IDArgs(shared.Resource.Kind, false),
		ValidArgsFunction: cmdhelp.FirstArgIDs(f, shared.Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			fl := cmd.Flags()
			if err := shared.CheckFlags(fl); err != nil {
				return err
			}
			body, err := cmdhelp.BodyFromFlags(fl, shared.Fields)
			if err != nil {
				return err
			}
			if len(body) == 0 {
				return cmdhelp.NothingToUpdate(shared.Fields)
			}
			opts.Body = body
			if runF != nil {
				return runF(opts)
			}
			return updateRun(cmd.Context(), opts)
		},
	}
	shared.AddFieldFlags(cmd)
	return cmd
}

func updateRun(ctx context.Context, opts *UpdateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var rule shared.Rule
	if err := shared.Resource.Update(ctx, c, opts.ID, opts.Body, &rule); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, rule, shared.DetailColumns)
}
