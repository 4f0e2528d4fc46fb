package rules

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// newCmdList builds `evtctl rules list`.
func newCmdList(f *cmdutil.Factory) *cobra.Command {
	return resource.ListCmd[Rule]{
		Resource: Resource,
		Short:    "List composite rules",
		Example: "  evtctl rules list --sort -updated_at\n" +
			"  evtctl rules list -q | xargs evtctl rules delete",
		Sorts:   resource.Sorts,
		Columns: Columns,
	}.New(f)
}
