// Package update implements `evtctl rules update`.
package update

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/rules/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// UpdateOptions are the inputs of `evtctl rules update`.
type UpdateOptions = cmdhelp.UpdateOptions

var command = cmdhelp.UpdateCmd[shared.Rule]{
	Resource: shared.Resource,
	Short:    "Change fields of a composite rule",
	Long: "Change the fields given as flags and leave the others as they are (PATCH).\n" +
		shared.ListHelp,
	Example:  "  evtctl rules update rule_123 --enabled=false\n  evtctl rules update rule_123 --window-seconds 60 --min-events 5",
	Fields:   shared.Fields,
	AddFlags: func(c *cobra.Command, _ *cmdutil.Factory) { shared.AddFieldFlags(c) },
	Check:    shared.CheckFlags,
	Columns:  shared.DetailColumns,
}

// NewCmdUpdate builds `evtctl rules update`. runF replaces the real run in tests.
func NewCmdUpdate(f *cmdutil.Factory, runF func(*UpdateOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func updateRun(ctx context.Context, opts *UpdateOptions) error { return command.Run(ctx, opts) }
