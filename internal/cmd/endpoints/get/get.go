// Package get implements `evtctl endpoints get`.
package get

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// GetOptions are the inputs of `evtctl endpoints get`.
type GetOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)
	ID      string
}

// NewCmdGet builds `evtctl endpoints get`. runF replaces the real run in tests.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{Factory: f, Client: func() (*apiclient.Client, error) { return apiclient.FromFactory(f) }}
	cmd := &cobra.Command{
		Use:               "get ID",
		Short:             "Show one endpoint",
		Long:              "Show one endpoint. Exit code 3 if there is no such endpoint. The webhook signing\nsecret is shown only when the endpoint is created.",
		Args:              cmdhelp.IDArgs(shared.Resource.Kind, false),
		ValidArgsFunction: cmdhelp.FirstArgIDs(f, shared.Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return getRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func getRun(ctx context.Context, opts *GetOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var ep shared.Endpoint
	if err := shared.Resource.Get(ctx, c, opts.ID, &ep); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, ep, shared.DetailColumns)
}
