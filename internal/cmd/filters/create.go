package filters

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// createOptions are the inputs of `evtctl filters create`.
type createOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	Body resource.Body // the fields the user set
}

// newCmdCreate builds `evtctl filters create`.
func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	opts := &createOptions{Factory: f, Client: f.APIClient}
	cmd := &cobra.Command{
		Use:   "create --endpoint ID [--device-id ID]... [--event-type TYPE]... [flags]",
		Short: "Create an event filter for an endpoint",
		Long: "Create an event filter: the endpoint receives the events that pass any of its\n" +
			"filters (every event of its tenant while it has none). A filter belongs to its\n" +
			"endpoint's tenant.\n" + ListHelp,
		Example: "  evtctl filters create --endpoint ep_123 --name lobby --device-id cam-1 --device-id cam-2\n" +
			"  id=$(evtctl filters create --endpoint ep_123 --event-type glass_break -q)",
		Args: resource.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := resource.Require(cmd.Flags(), "endpoint"); err != nil {
				return err
			}
			body, err := resource.BodyFromFlags(cmd.Flags(), Fields)
			if err != nil {
				return err
			}
			opts.Body = body
			return createRun(cmd.Context(), opts)
		},
	}
	AddFieldFlags(cmd, f)
	return cmd
}

func createRun(ctx context.Context, opts *createOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var flt Filter
	if err := Resource.Create(ctx, c, opts.Body, &flt); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, flt, DetailColumns)
}
