package data

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/store"
)

// CheckOptions are the inputs of `evtctl data check`.
type CheckOptions struct {
	Factory *cmdutil.Factory
	Dir     string
	Ack     bool
	Timeout time.Duration
}

// Report is what the check found (the json and yaml output).
type Report struct {
	DataDir string               `json:"data_dir" yaml:"data_dir"`
	Intact  bool                 `json:"intact" yaml:"intact"`
	Streams []store.StreamReport `json:"streams" yaml:"streams"`
	// Losses not acknowledged yet: found now, or by the gateway or an
	// earlier check.
	Losses       []store.Loss `json:"losses" yaml:"losses"`
	Acknowledged int          `json:"acknowledged,omitempty" yaml:"acknowledged,omitempty"`
}

// NewCmdCheck builds `evtctl data check`. runF replaces the real run in tests.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{Factory: f, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Report data lost to damaged storage files",
		Long: "Open the data directory of a stopped gateway (default " + config.Default().Storage.DataDir + ") with an\n" +
			"embedded NATS server without network listeners, check every stream of evtctl's\n" +
			"(the event log, the buckets of keys, endpoints, filters and rules, the webhook\n" +
			"records) and report messages lost to damaged files: those JetStream reports\n" +
			"lost, and those missing since the gateway last saw the stream (recorded in\n" +
			"DIR/" + store.DamageFile + ").\n\n" +
			"Losses stay reported, here and in the gateway's /readyz and\n" +
			"evtctl_storage_lost_messages, until --ack acknowledges them.\n\n" +
			"Exit status: 0 when nothing is lost, 1 when a loss is reported (or the\n" +
			"directory does not exist or is in use by a running gateway).",
		Example: "  evtctl data check\n  evtctl data check /var/lib/evtctl\n  evtctl data check /var/lib/evtctl -o json\n  evtctl data check /var/lib/evtctl --ack",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cmdutil.FlagErrorf("data check takes at most one directory, got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.NoIDOutput(f, "a data check report"); err != nil {
				return err
			}
			opts.Dir = config.Default().Storage.DataDir
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return checkRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Ack, "ack", false, "Acknowledge the reported losses: they are no longer reported, here or by the gateway")
	return cmd
}

func checkRun(ctx context.Context, opts *CheckOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	dir := opts.Dir
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s does not exist (the data directory is evtctl serve's --data, default %s)", dir, config.Default().Storage.DataDir)
	}
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); err != nil {
		return fmt.Errorf("%s is not an evtctl data directory (it has no jetstream store)", dir)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	b, err := store.Open(ctx, store.Options{Name: "evtctl-data-check", DataDir: dir})
	if errors.Is(err, store.ErrDataDirLocked) {
		return fmt.Errorf("%s is in use by a running gateway: stop it first (a running gateway reports damage in /readyz and evtctl_storage_lost_messages)", dir)
	}
	if err != nil {
		return fmt.Errorf("open the store in %s: %w", dir, err)
	}
	defer b.Close()
	checker := store.NewChecker(b.JS, dir)
	res, err := checker.Check(ctx)
	if err != nil {
		return fmt.Errorf("check the store in %s: %w", dir, err)
	}
	rep := Report{DataDir: dir, Streams: res.Streams, Losses: res.Losses, Intact: len(res.Losses) == 0}
	if rep.Streams == nil {
		rep.Streams = []store.StreamReport{}
	}
	if rep.Losses == nil {
		rep.Losses = []store.Loss{}
	}
	if opts.Ack && len(res.Losses) > 0 {
		acked, err := checker.Acknowledge()
		if err != nil {
			return err
		}
		rep.Acknowledged = len(acked)
	}
	if err := write(opts.Factory, rep); err != nil {
		return err
	}
	if !rep.Intact && rep.Acknowledged == 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

func write(f *cmdutil.Factory, rep Report) error {
	if f.Globals != nil && (f.Globals.Output == cmdutil.OutputJSON || f.Globals.Output == cmdutil.OutputYAML) {
		return cmdutil.PrintOne(f, rep, nil)
	}
	out := f.IOStreams.Out
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	cols := []cmdutil.Column[store.StreamReport]{
		cmdutil.Col("STREAM", func(r store.StreamReport) string { return r.Stream }),
		cmdutil.Col("HOLDS", func(r store.StreamReport) string { return r.Kind }),
		cmdutil.Col("MESSAGES", func(r store.StreamReport) string { return u(r.Messages) }),
		cmdutil.Col("BYTES", func(r store.StreamReport) string { return u(r.Bytes) }),
		cmdutil.Col("FIRST", func(r store.StreamReport) string { return u(r.FirstSeq) }),
		cmdutil.Col("LAST", func(r store.StreamReport) string { return u(r.LastSeq) }),
		cmdutil.Col("STATE", func(r store.StreamReport) string {
			if r.Lost != nil {
				return "DAMAGED"
			}
			return "ok"
		}),
	}
	if err := cmdutil.Print(f, rep.Streams, cols); err != nil {
		return err
	}
	fmt.Fprintln(out)
	if rep.Intact {
		fmt.Fprintf(out, "%s: intact, nothing lost (%d streams checked).\n", rep.DataDir, len(rep.Streams))
		return nil
	}
	for _, l := range rep.Losses {
		fmt.Fprintf(out, "LOST: %s, detected %s.\n", l, l.DetectedAt.Format(time.RFC3339))
	}
	if rep.Acknowledged > 0 {
		fmt.Fprintf(out, "%s: %d losses acknowledged; they are no longer reported.\n", rep.DataDir, rep.Acknowledged)
		return nil
	}
	fmt.Fprintf(out, "%s: DAMAGED. The messages above could not be recovered: JetStream serves the rest.\n"+
		"Restore them from a backup or a replica if you have one; re-send them if producers keep them.\n"+
		"Then acknowledge with: evtctl data check %s --ack\n", rep.DataDir, rep.DataDir)
	return nil
}
