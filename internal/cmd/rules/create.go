package rules

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// createOptions are the inputs of `evtctl rules create`.
type createOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	Body resource.Body // the fields the user set
}

// fields are the rule's fields plus owner, which only create sets.
var fields = append(append([]resource.Field(nil), Fields...), resource.OwnerField)

// newCmdCreate builds `evtctl rules create`.
func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	opts := &createOptions{Factory: f, Client: f.APIClient}
	cmd := &cobra.Command{
		Use:   "create --name NAME --window-seconds N --min-events N [flags]",
		Short: "Create a composite rule",
		Long: "Create a composite rule: when at least --min-events sound events of one group\n" +
			"(--group-by) fall within --window-seconds, the gateway emits a composite event.\n" +
			"Fields left out take the gateway's defaults.",
		Example: "  evtctl rules create --name screams --window-seconds 30 --min-events 3 \\\n" +
			"      --group-by label_id --include-label-id scream --include-label-id glass_break",
		Args: resource.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if err := resource.Require(fl, "name"); err != nil {
				return err
			}
			if err := CheckFlags(fl); err != nil {
				return err
			}
			body, err := resource.BodyFromFlags(fl, fields)
			if err != nil {
				return err
			}
			opts.Body = body
			return createRun(cmd.Context(), opts)
		},
	}
	AddFieldFlags(cmd)
	resource.AddOwnerFlag(cmd, "rule")
	return cmd
}

func createRun(ctx context.Context, opts *createOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var rule Rule
	if err := Resource.Create(ctx, c, opts.Body, &rule); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, rule, DetailColumns)
}
