package endpoints

import "github.com/evtctl/evtctl/internal/cmd/resource"

// listCmd is `evtctl endpoints list`.
var listCmd = resource.ListCmd[Endpoint]{
	Resource: Resource,
	Short:    "List endpoints",
	Example: "  evtctl endpoints list --type webhook --sort -created_at\n" +
		"  evtctl endpoints list -q | xargs evtctl endpoints delete",
	Sorts: resource.Sorts,
	Flags: []resource.ListFlag{{Name: "type", Param: "type", Values: Types,
		Usage: "only endpoints of this type: websocket or webhook"}},
	Columns: Columns,
}
