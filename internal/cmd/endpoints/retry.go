package endpoints

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// retryOptions are the inputs of `evtctl endpoints retry`.
type retryOptions struct {
	Factory *cmdutil.Factory

	ID         string
	DeliveryID string // one delivery; "" for a bulk retry
	Status     string // bulk: failed or exhausted
	Since      string // bulk: RFC 3339, resolved from --since
	Until      string // bulk: RFC 3339 or empty (now)
}

// newCmdRetry builds `evtctl endpoints retry`.
func newCmdRetry(f *cmdutil.Factory) *cobra.Command {
	opts := &retryOptions{Factory: f}
	var since, until string
	cmd := &cobra.Command{
		Use:   "retry ID [DELIVERY_ID | --since TIME [--until TIME] [--status failed|exhausted]]",
		Short: "Deliver finished webhook deliveries again: one, or every failed one of a time range",
		Long: "With a delivery id: deliver the event of that finished (succeeded or failed)\n" +
			"delivery again, with a new retry schedule and the same webhook-id, and show the\n" +
			"delivery record. A delivery still pending is a conflict (exit code 1).\n\n" +
			"With --since instead: deliver again every failed delivery of the endpoint whose\n" +
			"last attempt was in [since, until), or with --status exhausted only those whose\n" +
			"retries ran out; prints how many were queued and the run id. Times are RFC 3339\n" +
			"or a duration before now (15m, 2h, 7d). Exit code 3 if the endpoint or the\n" +
			"delivery does not exist.",
		Example: "  evtctl endpoints retry ep_123 4711\n" +
			"  evtctl endpoints retry ep_123 --status failed --since 2h\n" +
			"  evtctl endpoints retry ep_123 --status exhausted --since 2026-11-22T00:00:00Z --until 2026-11-23T00:00:00Z",
		Args: func(cmd *cobra.Command, args []string) error {
			bulk := cmd.Flags().Changed("since") || cmd.Flags().Changed("until") || cmd.Flags().Changed("status")
			switch {
			case len(args) == 2 && bulk:
				return cmdutil.FlagErrorf("give a delivery id or --since/--until/--status, not both")
			case len(args) == 1 && !bulk, len(args) == 0 || len(args) > 2:
				return cmdutil.FlagErrorf("give the endpoint id and the delivery id, or the endpoint id and --since, got %d arguments", len(args))
			}
			return nil
		},
		ValidArgsFunction: resource.FirstArgIDs(f, Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if len(args) == 2 {
				opts.DeliveryID = args[1]
				return retryRun(cmd.Context(), opts)
			}
			if err := resource.Require(cmd.Flags(), "since"); err != nil {
				return err
			}
			if opts.Status != proto.RetryFailed && opts.Status != proto.RetryExhausted {
				return cmdutil.FlagErrorf("invalid --status %q: use failed or exhausted", opts.Status)
			}
			if err := cmdutil.NoIDOutput(f, "a retry's result"); err != nil {
				return err
			}
			var err error
			if opts.Since, opts.Until, err = timeRange(since, until); err != nil {
				return err
			}
			return bulkRetryRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Status, "status", proto.RetryFailed, "which deliveries: failed (every failed one) or exhausted (retries ran out)")
	cmd.Flags().StringVar(&since, "since", "", "retry the deliveries whose last attempt is after this RFC 3339 time or duration before now")
	cmd.Flags().StringVar(&until, "until", "", "and before this time, exclusive (default: now)")
	_ = cmd.RegisterFlagCompletionFunc("status", resource.Enum(proto.RetryFailed, proto.RetryExhausted))
	return cmd
}

func retryRun(ctx context.Context, opts *retryOptions) error {
	path := DeliveriesPath(opts.ID) + "/" + url.PathEscape(opts.DeliveryID) + "/retry"
	return resource.DoOne(ctx, opts.Factory, "POST", path, nil, DeliveryColumns)
}

func bulkRetryRun(ctx context.Context, opts *retryOptions) error {
	body := proto.RetryRequest{Status: opts.Status, Since: opts.Since, Until: opts.Until}
	return resource.DoOne(ctx, opts.Factory, "POST", Resource.ItemPath(opts.ID)+"/retry", body, replayColumns)
}
