// Package create implements `evtctl filters create`.
package create

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/filters/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// CreateOptions are the inputs of `evtctl filters create`.
type CreateOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	Body cmdhelp.Body // the fields the user set
}

// NewCmdCreate builds `evtctl filters create`. runF replaces the real run in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{Factory: f, Client: f.APIClient}
	cmd := &cobra.Command{
		Use:   "create --endpoint ID [--device-id ID]... [--event-type TYPE]... [flags]",
		Short: "Create an event filter for an endpoint",
		Long: "Create an event filter: the endpoint receives the events that pass any of its\n" +
			"filters (every event of its tenant while it has none). A filter belongs to its\n" +
			"endpoint's tenant.\n" + shared.ListHelp,
		Example: "  evtctl filters create --endpoint ep_123 --name lobby --device-id cam-1 --device-id cam-2\n" +
			"  id=$(evtctl filters create --endpoint ep_123 --event-type glass_break -q)",
		Args: cmdhelp.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdhelp.Require(cmd.Flags(), "endpoint"); err != nil {
				return err
			}
			body, err := cmdhelp.BodyFromFlags(cmd.Flags(), shared.Fields)
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
	shared.AddFieldFlags(cmd, f)
	return cmd
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var flt shared.Filter
	if err := shared.Resource.Create(ctx, c, opts.Body, &flt); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, flt, shared.DetailColumns)
}
