// Package get implements `evtctl keys get`.
package get

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/keys/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// GetOptions are the inputs of `evtctl keys get`.
type GetOptions = cmdhelp.GetOptions

var command = cmdhelp.GetCmd[shared.Key]{
	Resource: shared.Resource,
	Short:    "Show one API key",
	Long:     "Show one API key (never its token). Exit code 3 if there is no such key.",
	Columns:  shared.Columns,
}

// NewCmdGet builds `evtctl keys get`. runF replaces the real run in tests.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func getRun(ctx context.Context, opts *GetOptions) error { return command.Run(ctx, opts) }
