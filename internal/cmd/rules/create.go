package rules

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// createCmd is `evtctl rules create`.
var createCmd = resource.CreateCmd[Rule]{
	Resource: Resource,
	Use:      "create --name NAME --window-seconds N --min-events N [flags]",
	Short:    "Create a composite rule",
	Long: "Create a composite rule: when at least --min-events sound events of one group\n" +
		"(--group-by) fall within --window-seconds, the gateway emits a composite event.\n" +
		"Fields left out take the gateway's defaults.",
	Example: "  evtctl rules create --name screams --window-seconds 30 --min-events 3 \\\n" +
		"      --group-by label_id --include-label-id scream --include-label-id glass_break",
	// The rule's fields plus owner, which only create sets.
	Fields:   append(append([]resource.Field(nil), Fields...), resource.OwnerField),
	Required: []string{"name"},
	AddFlags: func(cmd *cobra.Command, _ *cmdutil.Factory) {
		AddFieldFlags(cmd)
		resource.AddOwnerFlag(cmd, "rule")
	},
	Check:   func(fl *pflag.FlagSet, _ resource.Body) error { return CheckFlags(fl) },
	Columns: DetailColumns,
}
