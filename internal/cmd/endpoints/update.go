// Package update implements `evtctl endpoints update`.
package update

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// UpdateOptions are the inputs of `evtctl endpoints update`.
type UpdateOptions = cmdhelp.UpdateOptions

var command = cmdhelp.UpdateCmd[shared.Endpoint]{
	Resource: shared.Resource,
	Short:    "Change fields of an endpoint",
	Long: "Change the fields given as flags and leave the others as they are (PATCH).\n" +
		"Disabling an endpoint closes its WebSocket connections and pauses its webhook.\n" +
		"The type cannot be changed: create a new endpoint.",
	Example:  "  evtctl endpoints update ep_123 --enabled=false\n  evtctl endpoints update ep_123 --url https://example.com/new",
	Fields:   shared.Fields,
	AddFlags: func(c *cobra.Command, _ *cmdutil.Factory) { shared.AddFieldFlags(c) },
	Columns:  shared.DetailColumns,
}

// NewCmdUpdate builds `evtctl endpoints update`. runF replaces the real run in tests.
func NewCmdUpdate(f *cmdutil.Factory, runF func(*UpdateOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func updateRun(ctx context.Context, opts *UpdateOptions) error { return command.Run(ctx, opts) }
