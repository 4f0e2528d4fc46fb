// Package delete implements `evtctl rules delete`.
package delete

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/rules/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// DeleteOptions are the inputs of `evtctl rules delete`.
type DeleteOptions = cmdhelp.DeleteOptions

var command = cmdhelp.DeleteCmd{
	Resource: shared.Resource,
	Short:    "Delete composite rules",
	Long: "Delete composite rules; their open windows are dropped. Composite events\n" +
		"already emitted stay in the log. On a terminal this asks first unless --yes is\n" +
		"given; in a script it does not ask.",
	Example: "  evtctl rules delete rule_123\n  evtctl rules list -q | xargs evtctl rules delete",
}

// NewCmdDelete builds `evtctl rules delete`. runF replaces the real run in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error { return command.Run(ctx, opts) }
