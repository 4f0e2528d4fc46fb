// Package delete implements `evtctl endpoints delete`.
package delete

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// DeleteOptions are the inputs of `evtctl endpoints delete`.
type DeleteOptions = cmdhelp.DeleteOptions

var command = cmdhelp.DeleteCmd{
	Resource: shared.Resource,
	Short:    "Delete endpoints",
	Long: "Delete endpoints; their WebSocket connections close and their filters stop\n" +
		"applying. On a terminal this asks first unless --yes is given; in a script it does not ask.",
	Example: "  evtctl endpoints delete ep_123\n  evtctl endpoints list --type webhook -q | xargs evtctl endpoints delete",
}

// NewCmdDelete builds `evtctl endpoints delete`. runF replaces the real run in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	return command.New(f, runF)
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error { return command.Run(ctx, opts) }
