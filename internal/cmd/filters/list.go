package filters

import (
	"github.com/evtctl/evtctl/internal/cmd/endpoints"
	"github.com/evtctl/evtctl/internal/cmd/resource"
)

// listCmd is `evtctl filters list`.
var listCmd = resource.ListCmd[Filter]{
	Resource: Resource,
	Short:    "List event filters",
	Example: "  evtctl filters list --sort -updated_at\n" +
		"  evtctl filters list -q | xargs evtctl filters delete",
	Sorts: resource.Sorts,
	Flags: []resource.ListFlag{{Name: "endpoint", Param: "endpoint_id", CompleteIDs: endpoints.Resource.Path,
		Usage: "only filters of this endpoint"}},
	Columns: Columns,
}
