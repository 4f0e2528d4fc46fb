package filters

import "github.com/evtctl/evtctl/internal/cmd/resource"

// createCmd is `evtctl filters create`.
var createCmd = resource.CreateCmd[Filter]{
	Resource: Resource,
	Use:      "create --endpoint ID [--device-id ID]... [--event-type TYPE]... [flags]",
	Short:    "Create an event filter for an endpoint",
	Long: "Create an event filter: the endpoint receives the events that pass any of its\n" +
		"filters (every event of its tenant while it has none). A filter belongs to its\n" +
		"endpoint's tenant. --where adds a payload condition in CEL over event (the\n" +
		"event's JSON), family and type; it is checked when the filter is written.\n" +
		"Operational events (endpoint.disabled, endpoint.enabled, endpoint.recovered,\n" +
		"delivery.exhausted) pass only a filter that names their type.\n" + ListHelp,
	Example: "  evtctl filters create --endpoint ep_123 --name lobby --device-id cam-1 --device-id cam-2\n" +
		"  id=$(evtctl filters create --endpoint ep_123 --event-type glass_break -q)\n" +
		"  evtctl filters create --endpoint ep_123 --where 'event.confidence >= 0.8 && event.label_id.startsWith(\"glass\")'\n" +
		"  evtctl filters create --endpoint ep_ops --event-type endpoint.disabled --event-type delivery.exhausted",
	Fields:   Fields,
	Required: []string{"endpoint"},
	AddFlags: AddFieldFlags,
	Columns:  DetailColumns,
}
