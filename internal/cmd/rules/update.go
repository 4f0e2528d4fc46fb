package rules

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// updateCmd is `evtctl rules update`.
var updateCmd = resource.UpdateCmd[Rule]{
	Resource: Resource,
	Short:    "Change fields of a composite rule",
	Long: "Change the fields given as flags and leave the others as they are (PATCH).\n" +
		ListHelp,
	Example:  "  evtctl rules update rule_123 --enabled=false\n  evtctl rules update rule_123 --window-seconds 60 --min-events 5",
	Fields:   Fields,
	AddFlags: func(c *cobra.Command, _ *cmdutil.Factory) { AddFieldFlags(c) },
	Check:    CheckFlags,
	Columns:  DetailColumns,
}
