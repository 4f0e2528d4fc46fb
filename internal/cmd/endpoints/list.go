// Package list implements `evtctl endpoints list`.
package list

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// ListOptions are the inputs of `evtctl endpoints list`.
type ListOptions = cmdhelp.ListOptions

var command = cmdhelp.ListCmd[shared.Endpoint]{
	Resource: shared.Resource,
	Short:    "List endpoints",
	Example: "  evtctl endpoints list --type webhook --sort -created_at\n" +
		"  evtctl endpoints list -q | xargs evtctl endpoints delete",
	Sorts: shared.Sorts,
	Flags: []cmdhelp.ListFlag{{Name: "type", Param: "type", Values: shared.Types,
		Usage: "only endpoints of this type: websocket or webhook"}},
	Columns: shared.Columns,
}

// NewCmdList builds `evtctl endpoints list`. runF replaces the real run in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func listRun(ctx context.Context, opts *ListOptions) error { return command.Run(ctx, opts) }
