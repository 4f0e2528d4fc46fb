package endpoints

import (
	"context"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// replayOptions are the inputs of `evtctl endpoints replay`.
type replayOptions struct {
	Factory *cmdutil.Factory

	ID    string
	Since string // RFC 3339, resolved from --since
	Until string // RFC 3339 or empty (now), resolved from --until
}

// replayResult is the gateway's answer as the exporter shows it.
type replayResult = resource.Raw[proto.ReplayResult]

var replayColumns = []cmdutil.Column[replayResult]{
	cmdutil.Col("QUEUED", func(r replayResult) string { return strconv.Itoa(r.V.Queued) }),
	cmdutil.Col("RUN ID", func(r replayResult) string { return r.V.RunID }),
}

// newCmdReplay builds `evtctl endpoints replay`.
func newCmdReplay(f *cmdutil.Factory) *cobra.Command {
	opts := &replayOptions{Factory: f}
	var since, until string
	cmd := &cobra.Command{
		Use:   "replay ID --since TIME [--until TIME]",
		Short: "Send a time range of recorded events to a webhook endpoint again",
		Long: "Queue, for the webhook endpoint, every recorded event received in [since,\n" +
			"until) that passes its filters; they are delivered like new ones, each with its\n" +
			"usual webhook-id, so receivers can drop what they already have. Times are RFC\n" +
			"3339 or a duration before now (15m, 2h, 7d). Prints how many were queued.",
		Example: "  evtctl endpoints replay ep_123 --since 2h\n" +
			"  evtctl endpoints replay ep_123 --since 2026-11-22T00:00:00Z --until 2026-11-23T00:00:00Z",
		Args:              resource.IDArgs(Resource.Kind, false),
		ValidArgsFunction: resource.FirstArgIDs(f, Resource.Path, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if err := resource.Require(cmd.Flags(), "since"); err != nil {
				return err
			}
			if err := cmdutil.NoIDOutput(f, "a replay's result"); err != nil {
				return err
			}
			var err error
			if opts.Since, opts.Until, err = timeRange(since, until); err != nil {
				return err
			}
			return replayRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "start of the range: RFC 3339 time or a duration before now")
	cmd.Flags().StringVar(&until, "until", "", "end of the range, exclusive (default: now)")
	return cmd
}

func replayRun(ctx context.Context, opts *replayOptions) error {
	body := proto.ReplayRequest{Since: opts.Since, Until: opts.Until}
	return resource.DoOne(ctx, opts.Factory, "POST", Resource.ItemPath(opts.ID)+"/replay", body, replayColumns)
}

// timeRange resolves --since (required) and --until (empty: now, left to
// the gateway) to RFC 3339 times, each a time or a duration before now.
func timeRange(since, until string) (string, string, error) {
	now := time.Now()
	from, err := resource.PastTime("since", since, now)
	if err != nil || until == "" {
		return from, "", err
	}
	to, err := resource.PastTime("until", until, now)
	return from, to, err
}
