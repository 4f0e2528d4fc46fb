package rules

import "github.com/evtctl/evtctl/internal/cmd/resource"

// deleteCmd is `evtctl rules delete`.
var deleteCmd = resource.DeleteCmd{
	Resource: Resource,
	Short:    "Delete composite rules",
	Long: "Delete composite rules; their open windows are dropped. Composite events\n" +
		"already emitted stay in the log. On a terminal this asks first unless --yes is\n" +
		"given; in a script it does not ask.",
	Example: "  evtctl rules delete rule_123\n  evtctl rules list -q | xargs evtctl rules delete",
}
