// Package tail implements `evtctl tail`.
package tail

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/endpoints"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
	"github.com/evtctl/evtctl/internal/tail"
	"github.com/evtctl/evtctl/internal/tail/ui"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Options are the inputs of `evtctl tail`.
type Options struct {
	IO       *iostreams.IOStreams
	Settings func() (cmdutil.ClientSettings, error)
	// TokenFlag is true when --token was given: the token then goes to
	// every source, not only to the gateway's host.
	TokenFlag bool

	Args    []string
	Devices []string
	Headers []string
	Record  string
	Count   int
	After   string
	Buffer  int
	NoUI    bool

	// Stern's habits: what to select and how to print it.
	Families []string
	Types    []string
	Include  []string
	Exclude  []string
	Template string
	Since    string

	filter   *tail.Filter
	template *template.Template
	// jq is --jq over each event's JSON (implies --no-ui, like --template).
	jq    func(io.Writer, []byte) error
	since time.Time

	// Backoff replaces the reconnect schedule (tests).
	Backoff tail.Backoff
}

// NewCmdTail builds `evtctl tail`. runF replaces the real run in tests.
func NewCmdTail(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Settings: f.Settings}
	cmd := &cobra.Command{
		Use:   "tail SOURCE...",
		Short: "Follow live event streams (WebSocket and SSE), merged",
		Long: `Follow one or more live event streams and show their events as they arrive.

A SOURCE is
  ws://… or wss://…      a WebSocket (the gateway's composite or endpoint streams, or any server)
  http://… or https://…  an SSE stream (the gateway's analysis streams, or any server)
  composites             the gateway's composite-event WebSocket
  analysis               the SSE analysis stream of all devices (--device: of those devices)
  endpoint ID            the WebSocket of a websocket endpoint

Shortcuts are resolved against --server. The token (--token, EVTCTL_TOKEN) is sent
to the gateway's host; to other hosts only when given with --token, or use -H.

Sources reconnect with backoff and jitter and resume where they stopped: SSE by
Last-Event-ID, the composite WebSocket by ?after=<last composite id>. The endpoint
WebSocket has no resume position: events published while it is down are not
replayed (find them with 'evtctl events query').

On a terminal, tail opens a full-screen view (press ? for its keys). Otherwise it
prints each event as received, one JSON line per event, and nothing else on
standard output; connection changes go to standard error. --record writes every
event with its source, family, cursor and arrival time to an NDJSON file that
'evtctl replay' reads.`,
		Example: `  evtctl tail composites
  evtctl tail analysis --device cam-7 composites --record session.ndjson
  evtctl tail endpoint ep_4f2a -n 10 | jq .
  evtctl tail wss://gw.example.com/api/v1/ws/composite-events -H 'Authorization: Bearer evt_…'`,
		ValidArgsFunction: completeSource(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Args = args
			opts.TokenFlag = cmd.Flags().Changed("token")
			if opts.Count < 0 {
				return cmdutil.FlagErrorf("--count must be positive")
			}
			if opts.Buffer < 0 {
				return cmdutil.FlagErrorf("--buffer must be positive")
			}
			for _, h := range opts.Headers {
				if k, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(k) == "" {
					return cmdutil.FlagErrorf("invalid header %q: want -H 'Name: value'", h)
				}
			}
			jq, err := cmdutil.JQFilter(f)
			if err != nil {
				return err
			}
			if jq != nil && opts.Template != "" {
				return cmdutil.FlagErrorf("give --jq or --template, not both")
			}
			opts.jq = jq
			if err := opts.parseSelection(time.Now()); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return tailRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Devices, "device", nil, "with the analysis shortcut: follow this device only (repeatable)")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "add a request header 'Name: value' to every connection (repeatable)")
	fl.StringVar(&opts.Record, "record", "", "also write every event to this NDJSON `file` (replaced if it exists), for evtctl replay")
	fl.IntVarP(&opts.Count, "count", "n", 0, "exit after this many events (0 = run until interrupted)")
	fl.StringVar(&opts.After, "after", "", "start after this `cursor` (SSE id or composite id; one source only)")
	fl.IntVar(&opts.Buffer, "buffer", ui.DefaultBuffer, "events kept in the full-screen view (the newest)")
	fl.BoolVar(&opts.NoUI, "no-ui", false, "print JSON lines even on a terminal")
	fl.StringArrayVar(&opts.Families, "family", nil, "only events of this `family`: sound, analysis, identification, composite, operational (repeatable)")
	fl.StringArrayVar(&opts.Types, "type", nil, "only events of this event `type` (a sound label, analysis_result, identification, composite; repeatable)")
	fl.StringArrayVar(&opts.Include, "include", nil, "only events whose JSON line matches this `regexp` (repeatable: any of them)")
	fl.StringArrayVar(&opts.Exclude, "exclude", nil, "leave out events whose JSON line matches this `regexp` (repeatable)")
	fl.StringVar(&opts.Since, "since", "", "first the events the gateway received since this `time` (10m, or RFC 3339), then follow (composites, analysis)")
	fl.StringVar(&opts.Template, "template", "", "print each event with this Go `template` instead of its JSON line ({{.Event.label_id}}, {{.Source}}, {{json .Event}}); implies --no-ui")
	families := make([]string, 0, len(proto.RecordedFamilies()))
	for _, fam := range proto.RecordedFamilies() {
		families = append(families, string(fam))
	}
	_ = cmd.RegisterFlagCompletionFunc("family", resource.Enum(families...))
	_ = cmd.RegisterFlagCompletionFunc("since", resource.Enum("10m", "1h", "24h"))
	return cmd
}

// parseSelection checks the selection flags; every mistake is a usage error.
func (opts *Options) parseSelection(now time.Time) error {
	f := &tail.Filter{Devices: opts.Devices, Types: opts.Types}
	for _, fam := range opts.Families {
		if !slices.Contains(proto.RecordedFamilies(), proto.Family(fam)) {
			return cmdutil.FlagErrorf("invalid --family %q: use sound, analysis, identification, composite or operational", fam)
		}
		f.Families = append(f.Families, proto.Family(fam))
	}
	for _, re := range []struct {
		flag string
		in   []string
		out  *[]*regexp.Regexp
	}{{"include", opts.Include, &f.Include}, {"exclude", opts.Exclude, &f.Exclude}} {
		for _, expr := range re.in {
			r, err := regexp.Compile(expr)
			if err != nil {
				return cmdutil.FlagErrorf("invalid --%s regular expression %q: %s", re.flag, expr, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
			*re.out = append(*re.out, r)
		}
	}
	opts.filter = f
	if opts.Template != "" {
		t, err := tail.ParseTemplate(opts.Template)
		if err != nil {
			return cmdutil.FlagErrorf("invalid --template: %s", strings.TrimPrefix(err.Error(), "template: "))
		}
		opts.template = t
	}
	if opts.Since != "" {
		if opts.After != "" {
			return cmdutil.FlagErrorf("--since and --after both say where to start: give one")
		}
		s, err := resource.PastTime("since", opts.Since, now)
		if err != nil {
			return err
		}
		opts.since, _ = time.Parse(time.RFC3339Nano, s)
	}
	return nil
}

func tailRun(ctx context.Context, opts *Options) error {
	specs, err := buildSpecs(opts)
	if err != nil {
		return err
	}
	var rec *tail.Recorder
	if opts.Record != "" {
		f, err := os.Create(opts.Record)
		if err != nil {
			return fmt.Errorf("cannot create the recording: %w", err)
		}
		defer f.Close()
		rec = tail.NewRecorder(f)
		defer rec.Flush()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items := make(chan tail.Item, 1024)
	statuses := make(chan tail.Status, 64)
	runErr := make(chan error, 1)
	go func() {
		runErr <- tail.Run(ctx, specs, tail.Options{Backoff: opts.Backoff, Since: opts.since}, tail.Output{Items: items, Status: statuses})
	}()

	tui := opts.IO.IsStdoutTTY() && opts.IO.IsStdinTTY() && !opts.NoUI && opts.template == nil && opts.jq == nil
	var err2 error
	if tui {
		err2 = runUI(ctx, cancel, opts, specs, items, statuses, rec, runErr)
	} else {
		err2 = runLines(ctx, cancel, opts, items, statuses, rec, runErr)
	}
	if rec != nil {
		if err := rec.Flush(); err != nil && err2 == nil {
			err2 = fmt.Errorf("cannot write the recording: %w", err)
		}
	}
	return err2
}

// buildSpecs resolves the sources and who gets which header.
func buildSpecs(opts *Options) ([]tail.Spec, error) {
	s, err := opts.Settings()
	if err != nil {
		return nil, err
	}
	server, serr := apiclient.ParseServer(s.Server)
	specs, err := tail.ParseArgs(opts.Args, server, opts.Devices)
	if serr != nil && err == nil {
		for _, sp := range specs {
			if sp.URL.Host == "" {
				return nil, &cmdutil.FlagError{Err: serr}
			}
		}
	}
	if err != nil {
		return nil, &cmdutil.FlagError{Err: err}
	}
	if !opts.since.IsZero() {
		for _, sp := range specs {
			if sp.History == nil {
				return nil, cmdutil.FlagErrorf("--since: %s cannot be replayed from the gateway's history; only the composites and analysis shortcuts can", sp.Name)
			}
		}
	}
	if opts.After != "" {
		if len(specs) != 1 {
			return nil, cmdutil.FlagErrorf("--after needs exactly one source (cursors belong to one stream)")
		}
		specs[0].After = opts.After
	}
	extra := http.Header{}
	for _, h := range opts.Headers {
		k, v, _ := strings.Cut(h, ":")
		extra.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	for i := range specs {
		h := extra.Clone()
		sameHost := server != nil && specs[i].URL.Host == server.Host
		if s.Token != "" && h.Get("Authorization") == "" && (sameHost || opts.TokenFlag) {
			h.Set("Authorization", "Bearer "+s.Token)
		}
		specs[i].Header = h
	}
	return specs, nil
}

// counter numbers items, records them and stops the run after --count.
type counter struct {
	opts   *Options
	rec    *tail.Recorder
	cancel context.CancelFunc
	n      int
}

func (c *counter) take(it *tail.Item, more bool) error {
	c.n++
	it.Seq = uint64(c.n)
	if c.rec != nil {
		if err := c.rec.Write(*it); err != nil {
			return fmt.Errorf("cannot write the recording: %w", err)
		}
		if !more { // flush when the input pauses
			if err := c.rec.Flush(); err != nil {
				return fmt.Errorf("cannot write the recording: %w", err)
			}
		}
	}
	if c.opts.Count > 0 && c.n >= c.opts.Count {
		c.cancel()
	}
	return nil
}

func (c *counter) done() bool { return c.opts.Count > 0 && c.n >= c.opts.Count }

// runLines is the non-terminal mode: events on stdout, statuses on stderr.
func runLines(ctx context.Context, cancel context.CancelFunc, opts *Options, items <-chan tail.Item, statuses <-chan tail.Status, rec *tail.Recorder, runErr <-chan error) error {
	c := &counter{opts: opts, rec: rec, cancel: cancel}
	// Buffered, flushed whenever no more events are waiting: one write per
	// burst rather than per event, and no event waits behind the buffer.
	out := bufio.NewWriterSize(opts.IO.Out, 64<<10)
	defer out.Flush()
	var tb bytes.Buffer
	for {
		select {
		case it := <-items:
			if c.done() {
				continue // the run is stopping; more than --count were in flight
			}
			more := len(items) > 0
			if !opts.filter.Match(&it) {
				if !more {
					if err := out.Flush(); err != nil && !errors.Is(err, syscall.EPIPE) {
						return err
					}
				}
				continue
			}
			if err := c.take(&it, more); err != nil {
				return err
			}
			var err error
			if opts.template != nil {
				tb.Reset()
				if err = tail.WriteTemplate(&tb, opts.template, it); err != nil {
					return err
				}
				_, err = out.Write(tb.Bytes())
			} else if opts.jq != nil {
				tb.Reset()
				if err = tail.WriteLine(&tb, it); err == nil {
					err = opts.jq(out, tb.Bytes())
				}
			} else {
				err = tail.WriteLine(out, it)
			}
			if err == nil && !more {
				err = out.Flush()
			}
			if err != nil {
				if errors.Is(err, syscall.EPIPE) {
					return nil // the reader went away (| head): a normal end
				}
				return err
			}
		case st := <-statuses:
			// A failure ends the run and is said once, as the command's error.
			if st.Kind != tail.KeepAlive && st.Kind != tail.Failed {
				fmt.Fprintf(opts.IO.ErrOut, "evtctl tail: %s\n", st)
			}
		case err := <-runErr:
			return mapErr(err)
		}
	}
}

// runUI is the terminal mode.
func runUI(ctx context.Context, cancel context.CancelFunc, opts *Options, specs []tail.Spec, items <-chan tail.Item, statuses <-chan tail.Status, rec *tail.Recorder, runErr <-chan error) error {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	r := lipgloss.NewRenderer(opts.IO.Out)
	if !opts.IO.ColorEnabled() {
		r.SetColorProfile(termenv.Ascii)
	}
	model := ui.New(ui.Options{Sources: names, Buffer: opts.Buffer, Renderer: r})
	p := tea.NewProgram(model, tea.WithAltScreen(), tea.WithContext(ctx),
		tea.WithInput(opts.IO.In), tea.WithOutput(opts.IO.Out))

	uiItems := make(chan tail.Item, 1024)
	var wg sync.WaitGroup
	wg.Add(2)
	var takeErr error
	go func() {
		defer wg.Done()
		ui.Feed(ctx, p, uiItems, statuses, 50*time.Millisecond, opts.Buffer)
	}()
	var finalErr error
	go func() {
		defer wg.Done()
		defer close(uiItems)
		c := &counter{opts: opts, rec: rec, cancel: cancel}
		for {
			select {
			case it := <-items:
				if c.done() || !opts.filter.Match(&it) {
					continue
				}
				if err := c.take(&it, len(items) > 0); err != nil {
					takeErr = err
					cancel()
					continue
				}
				select {
				case uiItems <- it:
				case <-ctx.Done():
				}
			case err := <-runErr:
				finalErr = mapErr(err)
				p.Send(ui.Done{Err: finalErr})
				return
			}
		}
	}()
	_, perr := p.Run()
	cancel()
	wg.Wait()
	if takeErr != nil {
		return takeErr
	}
	if finalErr != nil {
		return finalErr
	}
	if perr != nil && !errors.Is(perr, tea.ErrProgramKilled) && !errors.Is(perr, context.Canceled) {
		return perr
	}
	return nil
}

// mapErr gives a refused source the exit code of the contract.
func mapErr(err error) error {
	var se *tail.StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusUnauthorized, http.StatusForbidden:
			return &cmdutil.AuthError{Err: err}
		case http.StatusNotFound:
			return &cmdutil.NotFoundError{Err: err}
		case http.StatusBadRequest:
			return err
		}
	}
	return err
}

// completeSource offers the gateway shortcuts, and after "endpoint" the
// ids of the gateway's endpoints. URLs are the user's to type.
func completeSource(f *cmdutil.Factory) resource.CompletionFunc {
	shortcuts := resource.Enum("composites", "analysis", "endpoint")
	ids := resource.IDs(f, endpoints.Resource.Path)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 && args[len(args)-1] == "endpoint" {
			return ids(cmd, args, toComplete)
		}
		return shortcuts(cmd, args, toComplete)
	}
}
