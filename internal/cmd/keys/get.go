package keys

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// newCmdGet builds `evtctl keys get`.
func newCmdGet(f *cmdutil.Factory) *cobra.Command {
	return resource.GetCmd[Key]{
		Resource: Resource,
		Short:    "Show one API key",
		Long:     "Show one API key (never its token). Exit code 3 if there is no such key.",
		Columns:  Columns,
	}.New(f)
}
