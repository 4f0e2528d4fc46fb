package rules

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// newCmdGet builds `evtctl rules get`.
func newCmdGet(f *cmdutil.Factory) *cobra.Command {
	return resource.GetCmd[Rule]{
		Resource: Resource,
		Short:    "Show one composite rule",
		Long:     "Show one composite rule. Exit code 3 if there is no such rule.",
		Columns:  DetailColumns,
	}.New(f)
}
