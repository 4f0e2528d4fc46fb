package filters

import "github.com/evtctl/evtctl/internal/cmd/resource"

// createCmd is `evtctl filters create`.
var createCmd = resource.CreateCmd[Filter]{
	Resource: Resource,
	Use:      "create --endpoint ID [--device-id ID]... [--event-type TYPE]... [flags]",
	Short:    "Create an event filter for an endpoint",
	Long: "Create an event filter: the endpoint receives the events that pass any of its\n" +
		"filters (every event of its tenant while it has none). A filter belongs to its\n" +
		"endpoint's tenant.\n" + ListHelp,
	Example: "  evtctl filters create --endpoint ep_123 --name lobby --device-id cam-1 --device-id cam-2\n" +
		"  id=$(evtctl filters create --endpoint ep_123 --event-type glass_break -q)",
	Fields:   Fields,
	Required: []string{"endpoint"},
	AddFlags: AddFieldFlags,
	Columns:  DetailColumns,
}
