package endpoints

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// createOptions are the inputs of `evtctl endpoints create`.
type createOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	Body resource.Body // the fields the user set
}

// fields are the endpoint's fields plus type and owner, which only create sets.
var fields = append(append([]resource.Field(nil), Fields...), resource.Field{Flag: "type", JSON: "type"}, resource.OwnerField)

// newCmdCreate builds `evtctl endpoints create`.
func newCmdCreate(f *cmdutil.Factory) *cobra.Command {
	opts := &createOptions{Factory: f, Client: f.APIClient}
	cmd := &cobra.Command{
		Use:   "create --name NAME --type websocket|webhook [--url URL] [flags]",
		Short: "Create an endpoint",
		Long: "Create an endpoint. A webhook endpoint needs --url; its signing secret is\n" +
			"generated unless --secret is given, and shown in the answer.",
		Example: "  evtctl endpoints create --name wall --type websocket\n" +
			"  id=$(evtctl endpoints create --name alerts --type webhook --url https://example.com/hook -q)",
		Args: resource.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			if err := resource.Require(fl, "name", "type"); err != nil {
				return err
			}
			typ, _ := fl.GetString("type")
			if err := resource.OneOf("type", typ, Types); err != nil {
				return err
			}
			if typ == proto.EndpointWebhook && !fl.Changed("url") {
				return cmdutil.FlagErrorf("--url is required for a webhook endpoint")
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
	cmd.Flags().String("type", "", "websocket (consumed at /event-service/ws) or webhook (events POSTed to --url)")
	_ = cmd.RegisterFlagCompletionFunc("type", resource.Enum(Types...))
	resource.AddOwnerFlag(cmd, "endpoint")
	return cmd
}

func createRun(ctx context.Context, opts *createOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var ep Endpoint
	if err := Resource.Create(ctx, c, opts.Body, &ep); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, ep, DetailColumns)
}
