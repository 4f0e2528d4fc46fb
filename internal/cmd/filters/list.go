// Package list implements `evtctl filters list`.
package list

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	endpoints "github.com/evtctl/evtctl/internal/cmd/endpoints/shared"
	"github.com/evtctl/evtctl/internal/cmd/filters/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// ListOptions are the inputs of `evtctl filters list`.
type ListOptions = cmdhelp.ListOptions

var command = cmdhelp.ListCmd[shared.Filter]{
	Resource: shared.Resource,
	Short:    "List event filters",
	Example: "  evtctl filters list --sort -updated_at\n" +
		"  evtctl filters list -q | xargs evtctl filters delete",
	Sorts: shared.Sorts,
	Flags: []cmdhelp.ListFlag{{Name: "endpoint", Param: "endpoint_id", CompleteIDs: endpoints.Resource.Path,
		Usage: "only filters of this endpoint"}},
	Columns: shared.Columns,
}

// NewCmdList builds `evtctl filters list`. runF replaces the real run in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func listRun(ctx context.Context, opts *ListOptions) error { return command.Run(ctx, opts) }
