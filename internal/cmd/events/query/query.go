// Package query implements `evtctl events query`.
package query

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// MaxLimit is the gateway's largest page (GET /api/v1/events?limit=).
const MaxLimit = 1000

// QueryOptions are the inputs of `evtctl events query`. Each field but All
// is a query parameter of GET /api/v1/events (docs/contract.md#query).
type QueryOptions struct {
	Factory *cmdutil.Factory

	Family, DeviceID, AgentID, EventType string
	Since, Until                         string // RFC 3339, already resolved from durations
	After                                string // cursor
	Owner                                string // admin keys: one tenant
	Limit                                int    // page size; 0 = the gateway's default (100), or 1000 with --all
	All                                  bool   // follow next_cursor to the end
}

// Record is one recorded event as the gateway sent it.
type Record = resource.Raw[proto.EventRecord]

// NewCmdQuery builds `evtctl events query`.
func NewCmdQuery(f *cmdutil.Factory) *cobra.Command {
	opts := &QueryOptions{Factory: f}
	var since, until string
	cmd := &cobra.Command{
		Use:   "query [flags]",
		Short: "Read recorded events",
		Long: "Read recorded events, oldest first, including those no live consumer received.\n" +
			"--since and --until select by the time the gateway received the event and take\n" +
			"an RFC 3339 time or a duration before now (15m, 2h, 7d).\n\n" +
			"One request returns at most --limit events; the rest is announced on a terminal\n" +
			"with the cursor to pass as --after. --all follows the cursors to the end.\n\n" +
			"-o json prints one JSON object per line (NDJSON) with cursor, family, owner,\n" +
			"received_at and the event as ingested: the format 'evtctl replay' reads.\n" +
			"-q prints the cursors.",
		Example: "  evtctl events query --family sound --device-id mic-7 --since 1h\n" +
			"  evtctl events query --family analysis --since 2026-11-23T00:00:00Z --all -o json > day.ndjson\n" +
			"  evtctl events query --after 1042 --limit 1000",
		Args: resource.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Family != "" {
				if _, err := proto.ParseRecordedFamily(opts.Family); err != nil {
					return &cmdutil.FlagError{Err: err}
				}
			}
			now := time.Now()
			var err error
			if since != "" {
				if opts.Since, err = resource.PastTime("since", since, now); err != nil {
					return err
				}
			}
			if until != "" {
				if opts.Until, err = resource.PastTime("until", until, now); err != nil {
					return err
				}
			}
			if opts.Limit < 0 || opts.Limit > MaxLimit {
				return cmdutil.FlagErrorf("--limit must be from 1 to %d", MaxLimit)
			}
			if opts.After != "" {
				if _, err := strconv.ParseUint(opts.After, 10, 64); err != nil {
					return cmdutil.FlagErrorf("invalid value %q for --after: a cursor is a decimal number (the cursor of an earlier result)", opts.After)
				}
			}
			return queryRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Family, "family", "", "only this family: sound, analysis, identification, composite or operational")
	fl.StringVar(&opts.DeviceID, "device-id", "", "only events of this device (mic_id, deviceId, camera.id)")
	fl.StringVar(&opts.AgentID, "agent-id", "", "only events of this agent (microphone.edge_id, camera.agent_id)")
	fl.StringVar(&opts.EventType, "event-type", "", "only events of this type (label_id, analysis_result, identification type, composite, endpoint.disabled, …)")
	fl.StringVar(&since, "since", "", "received at or after this time, or this long ago (1h)")
	fl.StringVar(&until, "until", "", "received before this time, or this long ago")
	fl.StringVar(&opts.After, "after", "", "only events after this cursor")
	fl.IntVar(&opts.Limit, "limit", 0, "events per request, 1 to 1000 (default 100; 1000 with --all)")
	fl.BoolVar(&opts.All, "all", false, "follow next_cursor until every matching event is printed")
	fl.StringVar(&opts.Owner, "owner", "", "only this tenant's events (admin keys; default: every tenant)")
	families := []string{}
	for _, fam := range proto.RecordedFamilies() {
		families = append(families, string(fam))
	}
	_ = cmd.RegisterFlagCompletionFunc("family", resource.Enum(families...))
	_ = cmd.RegisterFlagCompletionFunc("since", resource.Enum("15m", "1h", "24h", "7d"))
	_ = cmd.RegisterFlagCompletionFunc("until", resource.Enum("15m", "1h", "24h"))
	return cmd
}

func (o *QueryOptions) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"family": o.Family, "device_id": o.DeviceID, "agent_id": o.AgentID,
		"event_type": o.EventType, "since": o.Since, "until": o.Until, "after": o.After, "owner": o.Owner} {
		if v != "" {
			q.Set(k, v)
		}
	}
	limit := o.Limit
	if limit == 0 && o.All {
		limit = MaxLimit // fewer round trips when reading everything
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

type page struct {
	Items      []Record `json:"items"`
	NextCursor string   `json:"next_cursor"`
}

func queryRun(ctx context.Context, opts *QueryOptions) error {
	c, err := opts.Factory.APIClient()
	if err != nil {
		return err
	}
	out, err := newPrinter(opts.Factory)
	if err != nil {
		return err
	}
	q := opts.query()
	for {
		var p page
		if err := c.Do(ctx, "GET", "/api/v1/events", q, nil, &p); err != nil {
			return resource.FieldErrors(err)
		}
		if err := out.add(p.Items); err != nil {
			return err
		}
		if p.NextCursor == "" {
			break
		}
		if !opts.All {
			ios := opts.Factory.IOStreams
			if ios.IsStderrTTY() {
				fmt.Fprintf(ios.ErrOut, "More events match: add --after %s for the next page, or --all.\n", p.NextCursor)
			}
			break
		}
		if p.NextCursor == q.Get("after") {
			return fmt.Errorf("the gateway returned cursor %s twice; stopping to avoid a loop", p.NextCursor)
		}
		q.Set("after", p.NextCursor)
	}
	return out.flush()
}

// printer writes pages as they arrive where the format allows (NDJSON,
// tab-separated lines, cursors), so `--all` over a long history neither
// waits for the end nor holds it in memory; the terminal table and YAML
// need every row first.
type printer struct {
	f      *cmdutil.Factory
	format string
	held   []Record
}

func newPrinter(f *cmdutil.Factory) (*printer, error) {
	format := f.Globals.Output
	if f.Globals.Quiet {
		format = cmdutil.OutputID
	}
	if err := cmdutil.ValidateOutput(format); err != nil {
		return nil, err
	}
	if format == "" {
		format = cmdutil.OutputTable
	}
	return &printer{f: f, format: format}, nil
}

func (p *printer) add(items []Record) error {
	ios := p.f.IOStreams
	var buf bytes.Buffer
	switch {
	case p.format == cmdutil.OutputJSON:
		// One line per event; --jq runs over each of them.
		for _, it := range items {
			raw, err := it.MarshalJSON()
			if err != nil {
				return err
			}
			if err := cmdutil.WriteJSONLine(p.f, raw); err != nil {
				return err
			}
		}
		return nil
	case p.format == cmdutil.OutputID:
		for _, it := range items {
			buf.WriteString(it.V.Cursor)
			buf.WriteByte('\n')
		}
	case p.format == cmdutil.OutputTable && !ios.IsStdoutTTY():
		return cmdutil.Print(p.f, items, columns())
	default:
		p.held = append(p.held, items...)
		return nil
	}
	_, err := ios.Out.Write(buf.Bytes())
	return err
}

func (p *printer) flush() error {
	switch {
	case p.format == cmdutil.OutputYAML:
		return cmdutil.Print(p.f, p.held, nil)
	case p.format == cmdutil.OutputTable && p.f.IOStreams.IsStdoutTTY():
		return cmdutil.Print(p.f, p.held, columns())
	}
	return nil
}
