// Package list implements `evtctl rules list`.
package list

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/rules/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// ListOptions are the inputs of `evtctl rules list`.
type ListOptions = cmdhelp.ListOptions

var command = cmdhelp.ListCmd[shared.Rule]{
	Resource: shared.Resource,
	Short:    "List composite rules",
	Example: "  evtctl rules list --sort -updated_at\n" +
		"  evtctl rules list -q | xargs evtctl rules delete",
	Sorts:   shared.Sorts,
	Columns: shared.Columns,
}

// NewCmdList builds `evtctl rules list`. runF replaces the real run in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func listRun(ctx context.Context, opts *ListOptions) error { return command.Run(ctx, opts) }
