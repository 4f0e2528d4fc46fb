// Package delete implements `evtctl filters delete`.
package delete

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/filters/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// DeleteOptions are the inputs of `evtctl filters delete`.
type DeleteOptions = cmdhelp.DeleteOptions

var command = cmdhelp.DeleteCmd{
	Resource: shared.Resource,
	Short:    "Delete event filters",
	Long: "Delete event filters. An endpoint left with no filter receives every event of\n" +
		"its tenant. On a terminal this asks first unless --yes is given; in a script it does not ask.",
	Example: "  evtctl filters delete flt_123\n  evtctl filters list -q | xargs evtctl filters delete",
}

// NewCmdDelete builds `evtctl filters delete`. runF replaces the real run in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error { return command.Run(ctx, opts) }
