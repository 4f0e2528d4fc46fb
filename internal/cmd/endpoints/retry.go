// Package retry implements `evtctl endpoints retry`.
package retry

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/endpoints/shared"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// RetryOptions are the inputs of `evtctl endpoints retry`.
type RetryOptions struct {
	Factory *cmdutil.Factory
	Client  func() (*apiclient.Client, error)

	ID         string
	DeliveryID string
}

// NewCmdRetry builds `evtctl endpoints retry`. runF replaces the real run in tests.
func NewCmdRetry(f *cmdutil.Factory, runF func(*RetryOptions) error) *cobra.Command {
	opts := &RetryOptions{Factory: f, Client: f.APIClient}
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
		ValidArgsFunction: cmdhelp.FirstArgIDs(f, shared.Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID, opts.DeliveryID = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return retryRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func retryRun(ctx context.Context, opts *RetryOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var d shared.Delivery
	path := shared.DeliveriesPath(opts.ID) + "/" + url.PathEscape(opts.DeliveryID) + "/retry"
	if err := c.Do(ctx, "POST", path, nil, nil, &d); err != nil {
		return err
	}
	return cmdutil.PrintOne(opts.Factory, d, shared.DeliveryColumns)
}
