// Package loadtest implements `evtctl loadtest`, the load-test client of
// the streams (engine in internal/loadtest).
package loadtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/loadtest"
)

// Options are the flags of `evtctl loadtest`.
type Options struct {
	Factory *cmdutil.Factory

	Transport    string
	URL          string
	Conns        int
	Rate         float64
	Inflight     int
	Duration     time.Duration
	Idle         time.Duration
	Drain        time.Duration
	DialTimeout  time.Duration
	SourceIPs    string
	Headers      []string
	TokenFile    string
	FirstMessage string

	PublishURL     string
	PublishToken   string
	PublishRate    float64
	PublishBody    string
	PublishHeaders []string
	PublishConc    int

	ServerPID     int
	ServerMetrics string
	Asserts       []string
	Workers       int
	NoProgress    bool

	// Hidden: set on the worker processes the parent starts.
	WorkerIndex  int
	WorkersTotal int
}

// NewCmdLoadtest builds `evtctl loadtest`.
func NewCmdLoadtest(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "loadtest ws|sse URL",
		Short: "Open many WebSocket or SSE connections and measure connects and delivery latency",
		Long: `Open --conns WebSocket (ws) or SSE (sse) connections to URL, optionally publish
timestamped events, and report connection outcomes, time to first message,
delivery latency percentiles and rates, as a table or with -o json.

URL may be a path (/api/v1/ws/composite-events): it is then taken relative to
--server. The stream token is --token / EVTCTL_TOKEN, or one token per line of
--token-file, spread round robin over the connections (to test per-user limits
with many users).

Delivery latency: with --publish-url, events are POSTed at --publish-rate for
--duration. In the body template {{ts}} becomes the Unix time in nanoseconds
just before the request is sent, {{seq}} a counter, {{run}} an id unique to the
run and {{now}} the RFC 3339 time; receivers find every "ts_ns":<int> in a
message and record now - ts_ns. The default body is a valid event of the family
the URL names (…/events/analysis or …/events/composite) with a ts_ns field.
Empty WebSocket messages, "hello" and SSE comments are not deliveries.

More connections than one source address has ports (about 28,000 towards one
server address) need --source-ips 127.0.0.2-127.0.0.60; more than the
open-file limit of one process need --workers N (each worker is this program
re-executed; their results are merged into one report).

--assert METRIC OP VALUE fails the command (exit 1) when the bound does not
hold. Metrics: attempted, established, rejected, rejected_<status>,
dial_errors, dial_errors_<cause>, disconnects, disconnects_<code>, messages,
keepalives, deliveries, expected_deliveries, delivery_ratio, messages_per_sec,
deliveries_per_sec, publish_ok, publish_errors, publish_skipped,
mem_per_conn_kib, ramp_sec; latencies (ms, or with a unit: us, ms, s) p50, p90,
p99, p999, max, mean (delivery), connect_p99…, first_message_p99…,
publish_rtt_p99…. A latency with no sample fails its assertion.`,
		Example: `  # The per-user SSE limit: the 11th stream of one user is refused with 429.
  evtctl loadtest sse /api/v1/devices/analysis/stream/all --conns 11 --duration 0 \
    --assert 'established==10' --assert 'rejected_429==1'

  # Fan-out latency to 5,000 WebSocket subscribers.
  evtctl loadtest ws /api/v1/ws/composite-events --conns 5000 --rate 2000 \
    --publish-url /api/v1/events/composite --publish-rate 10 --duration 20s \
    --assert 'established==5000' --assert 'p99<100ms'

  # 50,000 idle connections: 3 worker processes, 59 source addresses.
  evtctl loadtest ws ws://10.0.0.5:8100/api/v1/ws/composite-events --conns 50000 \
    --workers 3 --source-ips 127.0.0.2-127.0.0.60 --token-file tokens.txt --server-pid 4242`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Transport, opts.URL = args[0], args[1]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return loadtestRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&opts.Conns, "conns", "n", 100, "connections to open")
	fl.Float64Var(&opts.Rate, "rate", 1000, "new connections per second (0: as fast as --inflight allows)")
	fl.IntVar(&opts.Inflight, "inflight", 256, "handshakes in flight at most")
	fl.DurationVar(&opts.Duration, "duration", 10*time.Second, "publish (or, without --publish-url, hold the connections) this long after the ramp")
	fl.DurationVar(&opts.Idle, "idle", time.Second, "wait after the ramp before sampling server memory and publishing")
	fl.DurationVar(&opts.Drain, "drain", 5*time.Second, "longest wait for late deliveries after publishing")
	fl.DurationVar(&opts.DialTimeout, "dial-timeout", 15*time.Second, "TCP connect plus handshake timeout")
	fl.StringVar(&opts.SourceIPs, "source-ips", "", "source addresses, round robin: 127.0.0.2-127.0.0.60 or a comma list")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "extra handshake header 'Key: Value' (repeatable)")
	fl.StringVar(&opts.TokenFile, "token-file", "", "file of bearer tokens, one per line, spread over the connections")
	fl.StringVar(&opts.FirstMessage, "first-message", "", "ws: text message sent after each handshake (a subscribe command)")
	fl.StringVar(&opts.PublishURL, "publish-url", "", "POST timestamped events here (a path is relative to --server)")
	fl.StringVar(&opts.PublishToken, "publish-token", "", "bearer token of the publisher (default: --token)")
	fl.Float64Var(&opts.PublishRate, "publish-rate", 10, "events published per second")
	fl.StringVar(&opts.PublishBody, "publish-body", "", "body template with {{ts}} (default: an event of the URL's family)")
	fl.StringArrayVar(&opts.PublishHeaders, "publish-header", nil, "extra publish header 'Key: Value' (repeatable)")
	fl.IntVar(&opts.PublishConc, "publish-concurrency", 32, "publish requests in flight at most")
	fl.IntVar(&opts.ServerPID, "server-pid", 0, "server process (same machine) whose memory per connection to measure")
	fl.StringVar(&opts.ServerMetrics, "server-metrics", "", "or the server's /metrics URL (process_resident_memory_bytes)")
	fl.StringArrayVar(&opts.Asserts, "assert", nil, "bound such as 'p99<50ms' or 'established>=1000' (repeatable; exit 1 if one fails)")
	fl.IntVar(&opts.Workers, "workers", 1, "spread connections over this many processes")
	fl.BoolVar(&opts.NoProgress, "no-progress", false, "no live progress on stderr")
	fl.IntVar(&opts.WorkerIndex, "worker-index", 0, "")
	fl.IntVar(&opts.WorkersTotal, "workers-total", 0, "")
	_ = fl.MarkHidden("worker-index")
	_ = fl.MarkHidden("workers-total")
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return []string{loadtest.WS, loadtest.SSE}, cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}

func loadtestRun(ctx context.Context, opts *Options) error {
	f := opts.Factory
	ios := f.IOStreams
	target, err := buildTarget(opts)
	if err != nil {
		return err
	}
	if opts.WorkersTotal > 0 {
		if opts.WorkerIndex < 0 || opts.WorkerIndex >= opts.WorkersTotal {
			return cmdutil.FlagErrorf("--worker-index must be between 0 and %d", opts.WorkersTotal-1)
		}
		return loadtest.RunWorker(ctx, loadtest.Share(target, opts.WorkerIndex, opts.WorkersTotal), ios.In, ios.Out)
	}

	format := f.Globals.Output
	if err := cmdutil.NoIDOutput(f, "a load test report"); err != nil {
		return err
	}
	if err := cmdutil.ValidateOutput(format); err != nil {
		return err
	}
	var asserts []loadtest.Assertion
	for _, s := range opts.Asserts {
		a, err := loadtest.ParseAssertion(s)
		if err != nil {
			return cmdutil.FlagErrorf("%v", err)
		}
		asserts = append(asserts, a)
	}
	if opts.Workers < 1 {
		return cmdutil.FlagErrorf("--workers must be at least 1")
	}
	if opts.ServerPID > 0 && opts.ServerMetrics != "" {
		return cmdutil.FlagErrorf("give --server-pid or --server-metrics, not both")
	}
	publish, err := buildPublish(opts)
	if err != nil {
		return err
	}
	run := loadtest.Options{
		Target: target, Workers: opts.Workers, Worker: workerCommand(opts, target.URL),
		Idle: opts.Idle, Duration: opts.Duration, Drain: opts.Drain, Publish: publish,
		ServerPID: opts.ServerPID, ServerMetrics: opts.ServerMetrics,
	}
	if !opts.NoProgress {
		run.Progress, run.ProgressLive, run.ProgressInterval = ios.ErrOut, ios.IsStderrTTY(), 5*time.Second
		if run.ProgressLive {
			run.ProgressInterval = 500 * time.Millisecond
		}
	}
	rep, runErr := loadtest.Run(ctx, run)
	if rep == nil {
		return runErr
	}
	failed := rep.Assert(asserts)
	if err := printReport(f, rep); err != nil {
		return err
	}
	if runErr != nil {
		return runErr
	}
	for _, o := range rep.Assertions {
		fmt.Fprintln(ios.ErrOut, "assert: "+o.String())
	}
	if len(failed) > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("%d of %d assertions failed", len(failed), len(asserts))}
	}
	return nil
}

func printReport(f *cmdutil.Factory, rep *loadtest.Report) error {
	switch f.Globals.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return cmdutil.PrintOne(f, rep, nil)
	}
	return rep.WriteTable(f.IOStreams.Out)
}

// workerCommand re-executes this program as worker i of n with the
// connection flags of the run. The token travels in the environment, not
// on the command line where ps shows it.
func workerCommand(opts *Options, url string) func(i, n int) *exec.Cmd {
	return func(i, n int) *exec.Cmd {
		exe, err := os.Executable()
		if err != nil {
			exe = os.Args[0]
		}
		args := []string{"loadtest", opts.Transport, url,
			"--conns", strconv.Itoa(opts.Conns),
			"--rate", strconv.FormatFloat(opts.Rate, 'g', -1, 64),
			"--inflight", strconv.Itoa(opts.Inflight),
			"--dial-timeout", opts.DialTimeout.String(),
			"--worker-index", strconv.Itoa(i), "--workers-total", strconv.Itoa(n)}
		if opts.SourceIPs != "" {
			args = append(args, "--source-ips", opts.SourceIPs)
		}
		for _, h := range opts.Headers {
			args = append(args, "--header", h)
		}
		if opts.TokenFile != "" {
			args = append(args, "--token-file", opts.TokenFile)
		}
		if opts.FirstMessage != "" {
			args = append(args, "--first-message", opts.FirstMessage)
		}
		cmd := exec.Command(exe, args...)
		cmd.Args[0] = os.Args[0] // keeps multi-call binaries (and test binaries) working
		cmd.Env = os.Environ()
		if s, err := opts.Factory.Settings(); err == nil && s.Token != "" {
			cmd.Env = append(cmd.Env, "EVTCTL_TOKEN="+s.Token)
		}
		cmd.Stderr = opts.Factory.IOStreams.ErrOut
		return cmd
	}
}
