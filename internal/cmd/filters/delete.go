package filters

import "github.com/evtctl/evtctl/internal/cmd/resource"

// deleteCmd is `evtctl filters delete`.
var deleteCmd = resource.DeleteCmd{
	Resource: Resource,
	Short:    "Delete event filters",
	Long: "Delete event filters. An endpoint left with no filter receives every event of\n" +
		"its tenant. On a terminal this asks first unless --yes is given; in a script it does not ask.",
	Example: "  evtctl filters delete flt_123\n  evtctl filters list -q | xargs evtctl filters delete",
}
