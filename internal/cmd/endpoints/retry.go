package endpoints

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// retryOptions are the inputs of `evtctl endpoints retry`.
type retryOptions struct {
	Factory *cmdutil.Factory

	ID         string
	DeliveryID string
}

// newCmdRetry builds `evtctl endpoints retry`.
func newCmdRetry(f *cmdutil.Factory) *cobra.Command {
	opts := &retryOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "retry ID DELIVERY_ID",
		Short: "Deliver a finished webhook delivery again",
		Long: "Deliver the event of a finished (succeeded or failed) delivery again, with a\n" +
			"new retry schedule and the same webhook-id, and show the delivery record.\n" +
			"Exit code 3 if the endpoint or the delivery does not exist; a delivery still\n" +
			"pending is a conflict (exit code 1).",
		Example: "  evtctl endpoints retry ep_123 4711",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return cmdutil.FlagErrorf("give the endpoint id and the delivery id, got %d arguments", len(args))
			}
			return nil
		},
		ValidArgsFunction: resource.FirstArgIDs(f, Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.DeliveryID = args[0], args[1]
			return retryRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func retryRun(ctx context.Context, opts *retryOptions) error {
	path := DeliveriesPath(opts.ID) + "/" + url.PathEscape(opts.DeliveryID) + "/retry"
	return resource.DoOne(ctx, opts.Factory, "POST", path, nil, DeliveryColumns)
}
