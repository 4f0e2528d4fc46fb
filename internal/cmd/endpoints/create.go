package endpoints

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// createCmd is `evtctl endpoints create`.
var createCmd = resource.CreateCmd[Endpoint]{
	Resource: Resource,
	Use:      "create --name NAME --type websocket|webhook [--url URL] [flags]",
	Short:    "Create an endpoint",
	Long: "Create an endpoint. A webhook endpoint needs --url; its signing secret is\n" +
		"generated unless --secret is given, and shown in the answer.",
	Example: "  evtctl endpoints create --name wall --type websocket\n" +
		"  id=$(evtctl endpoints create --name alerts --type webhook --url https://example.com/hook -q)",
	// The endpoint's fields plus type and owner, which only create sets.
	Fields:   append(append([]resource.Field(nil), Fields...), resource.Field{Flag: "type", JSON: "type"}, resource.OwnerField),
	Required: []string{"name", "type"},
	AddFlags: func(cmd *cobra.Command, _ *cmdutil.Factory) {
		AddFieldFlags(cmd)
		cmd.Flags().String("type", "", "websocket (consumed at /event-service/ws) or webhook (events POSTed to --url)")
		_ = cmd.RegisterFlagCompletionFunc("type", resource.Enum(Types...))
		resource.AddOwnerFlag(cmd, "endpoint")
	},
	Check: func(fl *pflag.FlagSet, _ resource.Body) error {
		typ, _ := fl.GetString("type")
		if err := resource.OneOf("type", typ, Types); err != nil {
			return err
		}
		if typ == proto.EndpointWebhook && !fl.Changed("url") {
			return cmdutil.FlagErrorf("--url is required for a webhook endpoint")
		}
		return nil
	},
	Columns: DetailColumns,
}
