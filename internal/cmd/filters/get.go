package filters

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// newCmdGet builds `evtctl filters get`.
func newCmdGet(f *cmdutil.Factory) *cobra.Command {
	return resource.GetCmd[Filter]{
		Resource: Resource,
		Short:    "Show one event filter",
		Long:     "Show one event filter. Exit code 3 if there is no such filter.",
		Columns:  DetailColumns,
	}.New(f)
}
