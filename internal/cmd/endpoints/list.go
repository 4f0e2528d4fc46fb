package endpoints

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// newCmdList builds `evtctl endpoints list`.
func newCmdList(f *cmdutil.Factory) *cobra.Command {
	return resource.ListCmd[Endpoint]{
		Resource: Resource,
		Short:    "List endpoints",
		Example: "  evtctl endpoints list --type webhook --sort -created_at\n" +
			"  evtctl endpoints list -q | xargs evtctl endpoints delete",
		Sorts: resource.Sorts,
		Flags: []resource.ListFlag{{Name: "type", Param: "type", Values: Types,
			Usage: "only endpoints of this type: websocket or webhook"}},
		Columns: Columns,
	}.New(f)
}
