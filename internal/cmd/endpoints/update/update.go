// Package update implements `evtctl endpoints update`.
package update

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// UpdateOptions are the inputs of `evtctl endpoints update`.
type UpdateOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	ID   string
	Body cmdhelp.Body // only the fields whose flags were given
}

// NewCmdUpdate builds `evtctl endpoints update`. runF replaces the real run in tests.
func NewCmdUpdate(f *cmdutil.Factory, runF func(*UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{Factory: f, Client: func() (*apiclient.Client, error) { return apiclient.FromFactory(f) }}
	cmd := &cobra.Command{
		Use:   "update ID [flags]",
		Short: "Change fields of an endpoint",
		Long: "Change the fields given as flags and leave the others as they are (PATCH).\n" +
			"Disabling an endpoint closes its WebSocket connections and pauses its webhook.\n" +
			"The type cannot be changed: create a new endpoint.",
		Example:           "  evtctl endpoints update ep_123 --enabled=false\n  evtctl endpoints update ep_123 --url https://example.com/new",
		Args:              cmdhelp.IDArgs(shared.Resource.Kind, false),
		ValidArgsFunction: cmdhelp.FirstArgIDs(f, shared.Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			fl := cmd.Flags()
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
	var ep shared.Endpoint
	if err := shared.Resource.Update(ctx, c, opts.ID, opts.Body, &ep); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, ep, shared.DetailColumns)
}
