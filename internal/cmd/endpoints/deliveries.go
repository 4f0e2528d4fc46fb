package endpoints

import (
	"context"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// deliveriesOptions are the inputs of `evtctl endpoints deliveries`.
type deliveriesOptions struct {
	Factory *cmdutil.Factory

	ID     string
	Status string // --status
	Since  string // RFC 3339, resolved from --since
	Limit  int    // --limit: at most this many; 0 = all
}

// newCmdDeliveries builds `evtctl endpoints deliveries`.
func newCmdDeliveries(f *cmdutil.Factory) *cobra.Command {
	opts := &deliveriesOptions{Factory: f}
	var since string
	cmd := &cobra.Command{
		Use:   "deliveries ID [flags]",
		Short: "List a webhook endpoint's deliveries",
		Long: "List the delivery records of a webhook endpoint in the order they last changed,\n" +
			"oldest first: status (pending, succeeded, failed), attempts, the last response\n" +
			"(or why there was none), its latency and the next attempt of a pending one.\n" +
			"--since lists only the records that changed from then on (a time, or a duration\n" +
			"before now). --limit 0 lists them all. Exit code 3 if there is no such webhook\n" +
			"endpoint.",
		Example: "  evtctl endpoints deliveries ep_123 --status failed --since 1h\n" +
			"  evtctl endpoints deliveries ep_123 --status failed -q | xargs -n1 evtctl endpoints retry ep_123",
		Args:              resource.IDArgs(Resource.Kind, false),
		ValidArgsFunction: resource.FirstArgIDs(f, Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if err := resource.OneOf("status", opts.Status, DeliveryStatuses); err != nil {
				return err
			}
			if err := resource.CheckLimit(opts.Limit); err != nil {
				return err
			}
			if since != "" {
				var err error
				if opts.Since, err = resource.PastTime("since", since, time.Now()); err != nil {
					return err
				}
			}
			return deliveriesRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&since, "since", "", "only records changed since this time: RFC 3339 or a duration before now (15m, 2h, 7d)")
	fl.StringVar(&opts.Status, "status", "", "only deliveries in this state: pending, succeeded or failed")
	fl.IntVar(&opts.Limit, "limit", 100, "list at most this many (0 = all)")
	_ = cmd.RegisterFlagCompletionFunc("status", resource.Enum(DeliveryStatuses...))
	return cmd
}

func deliveriesRun(ctx context.Context, opts *deliveriesOptions) error {
	c, err := opts.Factory.APIClient()
	if err != nil {
		return err
	}
	q := url.Values{}
	if opts.Status != "" {
		q.Set("status", opts.Status)
	}
	if opts.Since != "" {
		q.Set("since", opts.Since)
	}
	items, err := apiclient.ListAll[Delivery](ctx, c, DeliveriesPath(opts.ID), q, opts.Limit)
	if err != nil {
		return resource.FieldErrors(err)
	}
	return cmdutil.Print(opts.Factory, items, DeliveryColumns)
}
