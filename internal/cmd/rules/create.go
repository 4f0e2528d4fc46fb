// Package create implements `evtctl rules create`.
package create

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/rules/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// CreateOptions are the inputs of `evtctl rules create`.
type CreateOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	Body cmdhelp.Body // the fields the user set
}

// fields are the rule's fields plus owner, which only create sets.
var fields = append(append([]cmdhelp.Field(nil), shared.Fields...), cmdhelp.OwnerField)

// NewCmdCreate builds `evtctl rules create`. runF replaces the real run in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{Factory: f, Client: f.APIClient}
	cmd := &cobra.Command{
		Use:   "create --name NAME --window-seconds N --min-events N [flags]",
		Short: "Create a composite rule",
		Long: "Create a composite rule: when at least --min-events sound events of one group\n" +
			"(--group-by) fall within --window-seconds, the gateway emits a composite event.\n" +
			"Fields left out take the gateway's defaults.",
		Example: "  evtctl rules create --name screams --window-seconds 30 --min-events 3 \\\n" +
			"      --group-by label_id --include-label-id scream --include-label-id glass_break",
		Args: cmdhelp.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if err := cmdhelp.Require(fl, "name"); err != nil {
				return err
			}
			if err := shared.CheckFlags(fl); err != nil {
				return err
			}
			body, err := cmdhelp.BodyFromFlags(fl, fields)
			if err != nil {
				return err
			}
			opts.Body = body
			if runF != nil {
				return runF(opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	shared.AddFieldFlags(cmd)
	cmdhelp.AddOwnerFlag(cmd, "rule")
	return cmd
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var rule shared.Rule
	if err := shared.Resource.Create(ctx, c, opts.Body, &rule); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, rule, shared.DetailColumns)
}
