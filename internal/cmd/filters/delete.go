package filters

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// newCmdDelete builds `evtctl filters delete`.
func newCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return resource.DeleteCmd{
		Resource: Resource,
		Short:    "Delete event filters",
		Long: "Delete event filters. An endpoint left with no filter receives every event of\n" +
			"its tenant. On a terminal this asks first unless --yes is given; in a script it does not ask.",
		Example: "  evtctl filters delete flt_123\n  evtctl filters list -q | xargs evtctl filters delete",
	}.New(f)
}
