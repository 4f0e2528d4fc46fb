// Package get implements `evtctl rules get`.
package get

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/rules/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// GetOptions are the inputs of `evtctl rules get`.
type GetOptions = cmdhelp.GetOptions

var command = cmdhelp.GetCmd[shared.Rule]{
	Resource: shared.Resource,
	Short:    "Show one composite rule",
	Long:     "Show one composite rule. Exit code 3 if there is no such rule.",
	Columns:  shared.DetailColumns,
}

// NewCmdGet builds `evtctl rules get`. runF replaces the real run in tests.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func getRun(ctx context.Context, opts *GetOptions) error { return command.Run(ctx, opts) }
