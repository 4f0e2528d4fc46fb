// Package list implements `evtctl keys list`.
package list

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/keys/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// ListOptions are the inputs of `evtctl keys list`.
type ListOptions = cmdhelp.ListOptions

var command = cmdhelp.ListCmd[shared.Key]{
	Resource: shared.Resource,
	Use:      "list [--owner TENANT]",
	Short:    "List API keys (never their tokens)",
	Example:  "  evtctl keys list --owner acme\n  evtctl keys list --owner acme -q | xargs evtctl keys revoke",
	Columns:  shared.Columns,
}

// NewCmdList builds `evtctl keys list`. runF replaces the real run in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func listRun(ctx context.Context, opts *ListOptions) error { return command.Run(ctx, opts) }
