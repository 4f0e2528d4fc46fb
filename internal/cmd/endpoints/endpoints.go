// Package endpoints implements the `evtctl endpoints` command group.
package endpoints

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/endpoints/create"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/delete"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/deliveries"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/get"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/list"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/replay"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/retry"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/secret"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/update"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// NewCmdEndpoints builds `evtctl endpoints`.
func NewCmdEndpoints(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "endpoints <command>",
		Aliases: []string{"endpoint"},
		Short:   "Manage push endpoints (WebSocket consumers and webhooks)",
		Long: "An endpoint receives every event of its tenant that passes its filters (see\n" +
			"'evtctl filters'): a websocket endpoint at /event-service/ws?endpoint_id=ID, a\n" +
			"webhook endpoint as signed POSTs to its URL. These commands need an admin key.",
	}
	cmd.AddCommand(create.NewCmdCreate(f, nil))
	cmd.AddCommand(list.NewCmdList(f, nil))
	cmd.AddCommand(get.NewCmdGet(f, nil))
	cmd.AddCommand(update.NewCmdUpdate(f, nil))
	cmd.AddCommand(delete.NewCmdDelete(f, nil))
	cmd.AddCommand(deliveries.NewCmdDeliveries(f, nil))
	cmd.AddCommand(retry.NewCmdRetry(f, nil))
	cmd.AddCommand(replay.NewCmdReplay(f, nil))
	cmd.AddCommand(secret.NewCmdSecret(f, nil))
	return cmd
}
