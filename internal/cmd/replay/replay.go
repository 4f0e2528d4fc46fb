// Package replay implements `evtctl replay`.
package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
	"github.com/evtctl/evtctl/internal/replay"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Options are the inputs of `evtctl replay`.
type Options struct {
	IO     *iostreams.IOStreams
	Client func() (*apiclient.Client, error)
	// Factory gives -o json|yaml (a report on standard output); nil = none.
	Factory *cmdutil.Factory

	Files             []string
	Family            string
	Speed             float64
	Rate              float64
	Max               bool
	DryRun            bool
	IncludeComposites bool
	Owner             string
	Batch             int
}

// NewCmdReplay builds `evtctl replay`.
func NewCmdReplay(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.APIClient, Factory: f}
	cmd := &cobra.Command{
		Use:   "replay FILE...",
		Short: "Re-ingest recorded events, keeping their relative timing",
		Long: `Re-ingest the events of NDJSON recordings into the gateway (POST /api/v1/events/{family}).

A line is one of
  a 'evtctl tail --record' line     {"received_at","source","family","cursor","event"}
  a 'evtctl events query -o json' line  {"cursor","family","owner","received_at","event"}
  a raw event                        with --family naming its family
FILE - reads standard input.

Events are sent in file order, paced by their recorded arrival times (received_at;
for raw events, the event's own time): --speed 2 replays twice as fast, --rate N
sends N events per second, --max as fast as the gateway takes them. Events due
together go in one request (NDJSON, one family per request).

Every line is checked before anything is sent; a bad line stops the replay with
its file and line number. Recorded composites are skipped (and counted) unless
--include-composites: the gateway derives composites from sound events, so
replaying those re-creates them. Ingest de-duplicates by event id, so replaying
a recording twice within the gateway's de-duplication window stores nothing new;
the summary reports accepted and duplicate events.`,
		Example: `  evtctl replay session.ndjson
  evtctl replay --speed 10 day1.ndjson day2.ndjson
  evtctl events query --family sound -o json | evtctl replay --max -
  evtctl replay --family analysis --rate 50 results.ndjson`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.FlagErrorf("name at least one recording (FILE, or - for standard input)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			n := 0
			for _, name := range []string{"speed", "rate", "max"} {
				if cmd.Flags().Changed(name) {
					n++
				}
			}
			if n > 1 {
				return cmdutil.FlagErrorf("use only one of --speed, --rate and --max")
			}
			if opts.Speed <= 0 {
				return cmdutil.FlagErrorf("--speed must be greater than 0")
			}
			if cmd.Flags().Changed("rate") && opts.Rate <= 0 {
				return cmdutil.FlagErrorf("--rate must be greater than 0")
			}
			if opts.Family != "" {
				if _, err := proto.ParseFamily(opts.Family); err != nil {
					return &cmdutil.FlagError{Err: err}
				}
			}
			if opts.Batch < 1 || opts.Batch > 10000 {
				return cmdutil.FlagErrorf("--batch must be between 1 and 10000")
			}
			if err := cmdutil.NoIDOutput(f, "a replay's report"); err != nil {
				return err
			}
			stdin := 0
			for _, f := range args {
				if f == "-" {
					stdin++
				}
			}
			if stdin > 1 {
				return cmdutil.FlagErrorf("standard input (-) can be named only once")
			}
			return replayRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Family, "family", "", "family of raw event lines: sound, analysis, identification or composite")
	_ = cmd.RegisterFlagCompletionFunc("family", resource.Families())
	fl.Float64Var(&opts.Speed, "speed", 1, "replay speed: 2 = twice as fast as recorded")
	fl.Float64Var(&opts.Rate, "rate", 0, "send this many events per second, ignoring recorded times")
	fl.BoolVar(&opts.Max, "max", false, "send as fast as possible")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "check every line and report what would be sent; send nothing")
	fl.BoolVar(&opts.IncludeComposites, "include-composites", false, "send recorded composites too (normally re-derived from sound events)")
	fl.StringVar(&opts.Owner, "owner", "", "ingest for this tenant (admin keys only)")
	fl.IntVar(&opts.Batch, "batch", replay.DefaultBatch, "most events per request")
	return cmd
}

func replayRun(ctx context.Context, opts *Options) error {
	inputs, err := openInputs(opts)
	if err != nil {
		return err
	}
	ro := replay.Options{
		Inputs:            inputs,
		Family:            proto.Family(opts.Family),
		Pacing:            replay.Pacing{Speed: opts.Speed, Rate: opts.Rate, Max: opts.Max},
		IncludeComposites: opts.IncludeComposites,
		BatchSize:         opts.Batch,
	}
	errOut := opts.IO.ErrOut
	if opts.DryRun {
		st, err := replay.Check(ro)
		if err != nil {
			return err
		}
		fmt.Fprintf(errOut, "Dry run: %s would be sent%s.\n", describe(st), duration(st, opts))
		reportSkipped(errOut, st)
		return printReport(opts, st, true)
	}
	client, err := opts.Client()
	if err != nil {
		return err
	}
	ro.Sender = &replay.APISender{Client: client, Owner: opts.Owner, Retries: 5}
	prog := newProgress(opts.IO)
	ro.Progress = prog.update
	st, err := replay.Run(ctx, ro)
	prog.finish()
	if err != nil {
		if st.Sent > 0 {
			fmt.Fprintf(errOut, "Stopped after %d of %d events (%d accepted, %d duplicates); replaying again is safe.\n", st.Sent, st.Total, st.Accepted, st.Duplicates)
		}
		if errors.Is(err, context.Canceled) {
			return cmdutil.ErrSilent
		}
		return err
	}
	fmt.Fprintf(errOut, "Replayed %s: %d accepted, %d duplicates.\n", describe(st), st.Accepted, st.Duplicates)
	reportSkipped(errOut, st)
	return printReport(opts, st, false)
}

// report is `replay -o json|yaml` on standard output (the sentences stay on
// standard error).
type report struct {
	DryRun            bool                 `json:"dry_run"`
	Total             int                  `json:"total"`
	PerFamily         map[proto.Family]int `json:"per_family"`
	SkippedComposites int                  `json:"skipped_composites"`
	Sent              int                  `json:"sent"`
	Accepted          int                  `json:"accepted"`
	Duplicates        int                  `json:"duplicates"`
	First             *time.Time           `json:"first,omitempty"`
	Last              *time.Time           `json:"last,omitempty"`
}

func printReport(opts *Options, st replay.Stats, dry bool) error {
	f := opts.Factory
	if f == nil || f.Globals == nil || (f.Globals.Output != cmdutil.OutputJSON && f.Globals.Output != cmdutil.OutputYAML) {
		return nil
	}
	r := report{DryRun: dry, Total: st.Total, PerFamily: st.PerFamily, SkippedComposites: st.SkippedComposites,
		Sent: st.Sent, Accepted: st.Accepted, Duplicates: st.Duplicates}
	if r.PerFamily == nil {
		r.PerFamily = map[proto.Family]int{}
	}
	if !st.First.IsZero() {
		first, last := st.First.UTC(), st.Last.UTC()
		r.First, r.Last = &first, &last
	}
	return cmdutil.PrintOne(f, r, nil)
}

// openInputs checks that every file can be opened now, and reads standard
// input into memory, because Run reads every input twice.
func openInputs(opts *Options) ([]replay.Input, error) {
	var inputs []replay.Input
	for _, name := range opts.Files {
		if name == "-" {
			data, err := io.ReadAll(opts.IO.In)
			if err != nil {
				return nil, fmt.Errorf("cannot read standard input: %w", err)
			}
			inputs = append(inputs, replay.Input{Name: "<stdin>", Open: func() (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(data)), nil
			}})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, &cmdutil.NotFoundError{Err: fmt.Errorf("%s does not exist", name)}
			}
			return nil, err
		}
		f.Close()
		inputs = append(inputs, replay.Input{Name: name, Open: func() (io.ReadCloser, error) { return os.Open(name) }})
	}
	return inputs, nil
}

func describe(st replay.Stats) string {
	var parts []string
	for _, f := range proto.Families() {
		if n := st.PerFamily[f]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", f, n))
		}
	}
	s := fmt.Sprintf("%d events", st.Total)
	if st.Total == 1 {
		s = "1 event"
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

func duration(st replay.Stats, opts *Options) string {
	switch {
	case opts.Max:
		return " as fast as possible"
	case opts.Rate > 0:
		return fmt.Sprintf(" in about %s at %g/s", (time.Duration(float64(st.Total) / opts.Rate * float64(time.Second))).Round(time.Second), opts.Rate)
	}
	return fmt.Sprintf(" over %s (recorded span %s at speed %g)", (time.Duration(float64(st.Span()) / opts.Speed)).Round(time.Millisecond), st.Span().Round(time.Millisecond), opts.Speed)
}

func reportSkipped(w io.Writer, st replay.Stats) {
	if st.SkippedComposites > 0 {
		fmt.Fprintf(w, "Skipped %d recorded composite events: the gateway derives them from the sound events (--include-composites sends them).\n", st.SkippedComposites)
	}
}

// progressView shows progress on stderr: a bar redrawn in place on a
// terminal (at most 10 times a second), a line every 5 s otherwise.
type progressView struct {
	mu    sync.Mutex
	ios   *iostreams.IOStreams
	last  time.Time
	drawn bool
}

func newProgress(ios *iostreams.IOStreams) *progressView {
	// The first report comes one interval in: a short replay prints only
	// its summary.
	return &progressView{ios: ios, last: time.Now()}
}

// bar draws a 30-cell bar. (bubbles/progress needs a module this project
// does not carry, and a bar is one line of arithmetic.)
func bar(frac float64) string {
	const width = 30
	full := int(frac*width + 0.5)
	return "[" + strings.Repeat("█", full) + strings.Repeat("░", width-full) + fmt.Sprintf("] %3.0f%%", frac*100)
}

func (p *progressView) update(st replay.Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	tty := p.ios.IsStderrTTY()
	every := 5 * time.Second
	if tty {
		every = 100 * time.Millisecond
	}
	if time.Since(p.last) < every && st.Sent < st.Total {
		return
	}
	p.last = time.Now()
	frac := 1.0
	if st.Total > 0 {
		frac = float64(st.Sent) / float64(st.Total)
	}
	if tty {
		fmt.Fprintf(p.ios.ErrOut, "\r%s %d/%d  ", bar(frac), st.Sent, st.Total)
		p.drawn = true
		return
	}
	if st.Sent < st.Total {
		fmt.Fprintf(p.ios.ErrOut, "replay: %d of %d events sent (%d accepted, %d duplicates)\n", st.Sent, st.Total, st.Accepted, st.Duplicates)
	}
}

func (p *progressView) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.ios.ErrOut)
	}
}
