// Package send implements `evtctl events send`.
package send

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// DefaultBatch is how many records one request carries. Each request is
// all-or-nothing on the gateway; a file of at most this many records is too.
const DefaultBatch = 1000

// maxBatchBytes keeps a request well under the gateway's body limit
// (server.max_body_bytes, 16 MiB by default) whatever the record size.
const maxBatchBytes = 4 << 20

// SendOptions are the inputs of `evtctl events send`.
type SendOptions struct {
	Factory *cmdutil.Factory

	Family string
	File   string // "-" = standard input
	Owner  string // --owner (admin keys): ingest for this tenant
	Batch  int    // records per request
}

// NewCmdSend builds `evtctl events send`.
func NewCmdSend(f *cmdutil.Factory) *cobra.Command {
	opts := &SendOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "send FAMILY [FILE|-]",
		Short: "Ingest events from a file or standard input",
		Long: "Send events of one family (sound, analysis, identification, composite) to the\n" +
			"gateway. The input is a JSON object, a JSON array of objects, or NDJSON (one\n" +
			"object per line); without FILE, or with -, it is read from standard input.\n" +
			"Records are sent as they are written (only whitespace between tokens is removed).\n\n" +
			"Prints how many events were accepted and how many were duplicates (already\n" +
			"stored). If the gateway rejects records, nothing of that request is stored and\n" +
			"each bad record is listed with its index (from 0), field and reason. Inputs of\n" +
			"more than --batch records go in several requests, each all-or-nothing.",
		Example: "  evtctl events send sound event.json\n" +
			"  evtctl events send identification - < faces.ndjson\n" +
			"  evtctl events query --family analysis --all -o json | jq -c .event | evtctl events send analysis --server https://other:8100",
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return cmdutil.FlagErrorf("give the event family: sound, analysis, identification or composite")
			case len(args) > 2:
				return cmdutil.FlagErrorf("events send takes a family and at most one file, got %d arguments", len(args))
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return familyNames(), cobra.ShellCompDirectiveNoFileComp
			}
			if len(args) == 1 {
				return []string{"json", "ndjson", "jsonl"}, cobra.ShellCompDirectiveFilterFileExt
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := proto.ParseFamily(args[0]); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			opts.Family = args[0]
			opts.File = "-"
			if len(args) == 2 {
				opts.File = args[1]
			} else if f.IOStreams.IsStdinTTY() {
				return cmdutil.FlagErrorf("give a FILE, or pipe the events into standard input")
			}
			if opts.Batch < 1 {
				return cmdutil.FlagErrorf("--batch must be at least 1")
			}
			if err := cmdutil.NoIDOutput(f, "the ingest result"); err != nil {
				return err
			}
			return sendRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Owner, "owner", "", "ingest on behalf of this tenant (admin keys only)")
	cmd.Flags().IntVar(&opts.Batch, "batch", DefaultBatch, "records per request")
	return cmd
}

func familyNames() []string {
	var out []string
	for _, f := range proto.Families() {
		out = append(out, string(f))
	}
	return out
}

func sendRun(ctx context.Context, opts *SendOptions) error {
	ios := opts.Factory.IOStreams
	name, data, err := readInput(ios.In, opts.File)
	if err != nil {
		return err
	}
	records, err := splitRecords(data)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	c, err := opts.Factory.APIClient()
	if err != nil {
		return err
	}
	q := url.Values{}
	if opts.Owner != "" {
		q.Set("owner", opts.Owner)
	}
	path := "/api/v1/events/" + url.PathEscape(opts.Family)

	var total proto.IngestResult
	for start := 0; start < len(records); {
		end, body := batch(records, start, opts.Batch)
		var res proto.IngestResult
		var err error
		if len(records) == 1 {
			// One record goes as the plain JSON object it is.
			err = c.Do(ctx, "POST", path, q, []byte(records[0]), &res)
		} else {
			err = c.DoWithContentType(ctx, "POST", path, q, "application/x-ndjson", body, &res)
		}
		if err != nil {
			return batchError(err, start, total)
		}
		total.Accepted += res.Accepted
		total.Duplicates += res.Duplicates
		start = end
	}
	return cmdutil.PrintOne(opts.Factory, total, resultColumns)
}

var resultColumns = []cmdutil.Column[proto.IngestResult]{
	cmdutil.Col("ACCEPTED", func(r proto.IngestResult) string { return strconv.Itoa(r.Accepted) }),
	cmdutil.Col("DUPLICATES", func(r proto.IngestResult) string { return strconv.Itoa(r.Duplicates) }),
}

// batch returns the end of the batch starting at start and its NDJSON body:
// at most n records and about maxBatchBytes, but never zero records.
func batch(records [][]byte, start, n int) (int, []byte) {
	var buf bytes.Buffer
	end := start
	for end < len(records) && end-start < n {
		if end > start && buf.Len()+len(records[end])+1 > maxBatchBytes {
			break
		}
		buf.Write(records[end])
		buf.WriteByte('\n')
		end++
	}
	return end, buf.Bytes()
}

// batchError makes a later batch's record indexes count from the start of
// the input, and says what earlier batches already stored.
func batchError(err error, start int, sofar proto.IngestResult) error {
	var ae *apiclient.APIError
	if errors.As(err, &ae) {
		for i, d := range ae.Details {
			if d.Index != nil {
				n := *d.Index + start
				ae.Details[i].Index = &n
			}
		}
	}
	if start == 0 {
		return err
	}
	return fmt.Errorf("%w\nThe %d records before record %d were sent (accepted %d, duplicates %d); after fixing the input, send it all again: within the de-duplication window (30 min by default) those come back as duplicates.",
		err, start, start, sofar.Accepted, sofar.Duplicates)
}

func readInput(stdin io.Reader, file string) (string, []byte, error) {
	if file == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return "", nil, fmt.Errorf("cannot read standard input: %w", err)
		}
		return "standard input", data, nil
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil, fmt.Errorf("%s does not exist", file)
	}
	if err != nil {
		return "", nil, fmt.Errorf("cannot read %s: %w", file, err)
	}
	return file, data, nil
}
