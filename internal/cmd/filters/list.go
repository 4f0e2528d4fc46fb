package filters

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/endpoints"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// newCmdList builds `evtctl filters list`.
func newCmdList(f *cmdutil.Factory) *cobra.Command {
	return resource.ListCmd[Filter]{
		Resource: Resource,
		Short:    "List event filters",
		Example: "  evtctl filters list --sort -updated_at\n" +
			"  evtctl filters list -q | xargs evtctl filters delete",
		Sorts: resource.Sorts,
		Flags: []resource.ListFlag{{Name: "endpoint", Param: "endpoint_id", CompleteIDs: endpoints.Resource.Path,
			Usage: "only filters of this endpoint"}},
		Columns: Columns,
	}.New(f)
}
