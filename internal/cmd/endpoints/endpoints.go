// Package endpoints implements the `evtctl endpoints` command group.
package endpoints

import "github.com/evtctl/evtctl/internal/cmd/resource"

// Command is `evtctl endpoints`.
var Command = resource.Group{
	Use:     "endpoints <command>",
	Aliases: []string{"endpoint"},
	Short:   "Manage push endpoints (WebSocket consumers and webhooks)",
	Long: "An endpoint receives every event of its tenant that passes its filters (see\n" +
		"'evtctl filters'): a websocket endpoint at /event-service/ws?endpoint_id=ID, a\n" +
		"webhook endpoint as signed POSTs to its URL. These commands need an admin key.",
	Verbs: []resource.Verb{
		createCmd, listCmd, getCmd, updateCmd, deleteCmd,
		// Webhook endpoints only.
		resource.Func(newCmdDeliveries), resource.Func(newCmdRetry), resource.Func(newCmdReplay), resource.Func(newCmdSecret),
	},
}
