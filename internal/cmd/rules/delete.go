package rules

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// newCmdDelete builds `evtctl rules delete`.
func newCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return resource.DeleteCmd{
		Resource: Resource,
		Short:    "Delete composite rules",
		Long: "Delete composite rules; their open windows are dropped. Composite events\n" +
			"already emitted stay in the log. On a terminal this asks first unless --yes is\n" +
			"given; in a script it does not ask.",
		Example: "  evtctl rules delete rule_123\n  evtctl rules list -q | xargs evtctl rules delete",
	}.New(f)
}
