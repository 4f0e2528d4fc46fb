// Package update implements `evtctl filters update`.
package update

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/filters/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// UpdateOptions are the inputs of `evtctl filters update`.
type UpdateOptions = cmdhelp.UpdateOptions

var command = cmdhelp.UpdateCmd[shared.Filter]{
	Resource: shared.Resource,
	Short:    "Change fields of an event filter",
	Long: "Change the fields given as flags and leave the others as they are (PATCH).\n" +
		shared.ListHelp,
	Example:  "  evtctl filters update flt_123 --device-id cam-1 --device-id cam-2\n  evtctl filters update flt_123 --event-type ''",
	Fields:   shared.Fields,
	AddFlags: shared.AddFieldFlags,
	Columns:  shared.DetailColumns,
}

// NewCmdUpdate builds `evtctl filters update`. runF replaces the real run in tests.
func NewCmdUpdate(f *cmdutil.Factory, runF func(*UpdateOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func updateRun(ctx context.Context, opts *UpdateOptions) error { return command.Run(ctx, opts) }
