package keys

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// newCmdList builds `evtctl keys list`.
func newCmdList(f *cmdutil.Factory) *cobra.Command {
	return resource.ListCmd[Key]{
		Resource: Resource,
		Use:      "list [--owner TENANT]",
		Short:    "List API keys (never their tokens)",
		Example:  "  evtctl keys list --owner acme\n  evtctl keys list --owner acme -q | xargs evtctl keys revoke",
		Columns:  Columns,
	}.New(f)
}
