// Package get implements `evtctl filters get`.
package get

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/filters/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// GetOptions are the inputs of `evtctl filters get`.
type GetOptions = cmdhelp.GetOptions

var command = cmdhelp.GetCmd[shared.Filter]{
	Resource: shared.Resource,
	Short:    "Show one event filter",
	Long:     "Show one event filter. Exit code 3 if there is no such filter.",
	Columns:  shared.DetailColumns,
}

// NewCmdGet builds `evtctl filters get`. runF replaces the real run in tests.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func getRun(ctx context.Context, opts *GetOptions) error { return command.Run(ctx, opts) }
