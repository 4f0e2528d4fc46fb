// Package get implements `evtctl endpoints get`.
package get

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// GetOptions are the inputs of `evtctl endpoints get`.
type GetOptions = cmdhelp.GetOptions

var command = cmdhelp.GetCmd[shared.Endpoint]{
	Resource: shared.Resource,
	Short:    "Show one endpoint",
	Long:     "Show one endpoint. Exit code 3 if there is no such endpoint. The webhook signing\nsecret is shown only when the endpoint is created.",
	Columns:  shared.DetailColumns,
}

// NewCmdGet builds `evtctl endpoints get`. runF replaces the real run in tests.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func getRun(ctx context.Context, opts *GetOptions) error { return command.Run(ctx, opts) }
