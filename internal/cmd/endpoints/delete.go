package endpoints

import "github.com/evtctl/evtctl/internal/cmd/resource"

// deleteCmd is `evtctl endpoints delete`.
var deleteCmd = resource.DeleteCmd{
	Resource: Resource,
	Short:    "Delete endpoints",
	Long: "Delete endpoints; their WebSocket connections close and their filters stop\n" +
		"applying. On a terminal this asks first unless --yes is given; in a script it does not ask.",
	Example: "  evtctl endpoints delete ep_123\n  evtctl endpoints list --type webhook -q | xargs evtctl endpoints delete",
}
