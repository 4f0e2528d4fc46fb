// Package create implements `evtctl endpoints create`.
package create

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// CreateOptions are the inputs of `evtctl endpoints create`.
type CreateOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	Body cmdhelp.Body // the fields the user set
}

// fields are the endpoint's fields plus type and owner, which only create sets.
var fields = append(append([]cmdhelp.Field(nil), shared.Fields...), cmdhelp.Field{Flag: "type", JSON: "type"}, cmdhelp.OwnerField)

// NewCmdCreate builds `evtctl endpoints create`. runF replaces the real run in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{Factory: f, Client: f.APIClient}
	cmd := &cobra.Command{
		Use:   "create --name NAME --type websocket|webhook [--url URL] [flags]",
		Short: "Create an endpoint",
		Long: "Create an endpoint. A webhook endpoint needs --url; its signing secret is\n" +
			"generated unless --secret is given, and shown in the answer.",
		Example: "  evtctl endpoints create --name wall --type websocket\n" +
			"  id=$(evtctl endpoints create --name alerts --type webhook --url https://example.com/hook -q)",
		Args: cmdhelp.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if err := cmdhelp.Require(fl, "name", "type"); err != nil {
				return err
			}
			typ, _ := fl.GetString("type")
			if err := cmdhelp.OneOf("type", typ, shared.Types); err != nil {
				return err
			}
			if typ == proto.EndpointWebhook && !fl.Changed("url") {
				return cmdutil.FlagErrorf("--url is required for a webhook endpoint")
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
	cmd.Flags().String("type", "", "websocket (consumed at /event-service/ws) or webhook (events POSTed to --url)")
	_ = cmd.RegisterFlagCompletionFunc("type", cmdhelp.Enum(shared.Types...))
	cmdhelp.AddOwnerFlag(cmd, "endpoint")
	return cmd
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var ep shared.Endpoint
	if err := shared.Resource.Create(ctx, c, opts.Body, &ep); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, ep, shared.DetailColumns)
}
