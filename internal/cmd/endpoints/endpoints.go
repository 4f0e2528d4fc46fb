// Package endpoints implements the `evtctl endpoints` command group.
package endpoints

import (
	"github.com/spf13/cobra"

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
	cmd.AddCommand(newCmdCreate(f), newCmdList(f), newCmdGet(f), newCmdUpdate(f), newCmdDelete(f))
	// Webhook endpoints only.
	cmd.AddCommand(newCmdDeliveries(f), newCmdRetry(f), newCmdReplay(f), newCmdSecret(f))
	return cmd
}
