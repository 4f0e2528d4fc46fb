package rules

import "github.com/evtctl/evtctl/internal/cmd/resource"

// listCmd is `evtctl rules list`.
var listCmd = resource.ListCmd[Rule]{
	Resource: Resource,
	Short:    "List composite rules",
	Example: "  evtctl rules list --sort -updated_at\n" +
		"  evtctl rules list -q | xargs evtctl rules delete",
	Sorts:   resource.Sorts,
	Columns: Columns,
}
