package webhooks

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/endpoints"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/webhook/signing"
)

// Bounds of what verify reads: a body as large as the gateway accepts,
// and a header block.
const (
	maxVerifyBody    = 16 << 20
	maxVerifyHeaders = 64 << 10
)

// verifyOptions are the inputs of `evtctl webhooks verify`.
type verifyOptions struct {
	listenOptions // Factory, Secrets, Endpoint, Tolerance

	BodyFile    string
	Headers     []string
	HeadersFile string
}

// newCmdVerify builds `evtctl webhooks verify`.
func newCmdVerify(f *cmdutil.Factory) *cobra.Command {
	opts := &verifyOptions{listenOptions: listenOptions{Factory: f}}
	cmd := &cobra.Command{
		Use:   "verify [BODY_FILE|-] (--endpoint ID | --secret whsec_…) (-H 'webhook-id: …' … | --headers FILE)",
		Short: "Check the signature of a saved webhook request, offline",
		Long: `Check a saved webhook request's Standard Webhooks signature: the body (a file, or
standard input), byte for byte as received, and its webhook-id, webhook-timestamp and
webhook-signature headers, given with -H or in a file of 'Name: value' lines (such as
curl -D writes; other lines are ignored). The secret is --secret (repeatable, or
` + SecretEnv + `) or the current secret of --endpoint ID, fetched from the gateway.

Exit code 0 and "valid" on standard output when a signature matches; exit code 1 and
a sentence saying why on standard error when not (usage mistakes are 2). The
timestamp is not compared with the clock unless --tolerance is given, since a saved
request is usually older than any tolerance.`,
		Example: `  evtctl webhooks verify body.json --headers headers.txt --endpoint ep_4f2a
  evtctl webhooks verify body.json --secret whsec_… -H 'webhook-id: msg_…' \
      -H 'webhook-timestamp: 1763892000' -H 'webhook-signature: v1,K5oZ…'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.BodyFile = "-"
			if len(args) == 1 {
				opts.BodyFile = args[0]
			}
			if err := opts.checkVerify(); err != nil {
				return err
			}
			return verifyRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Secrets, "secret", nil, "verify with this `whsec_…` secret (repeatable; default $"+SecretEnv+")")
	fl.StringVar(&opts.Endpoint, "endpoint", "", "verify with the current secret of this webhook endpoint `ID`, fetched from the gateway")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "a header of the request, 'Name: value' (repeatable)")
	fl.StringVar(&opts.HeadersFile, "headers", "", "read the request's headers from this `file` of 'Name: value' lines")
	fl.DurationVar(&opts.Tolerance, "tolerance", 0, "also require webhook-timestamp within this duration of the clock (0: not checked)")
	_ = cmd.RegisterFlagCompletionFunc("endpoint", resource.IDs(f, endpoints.Resource.Path))
	return cmdutil.NoFormats(cmd)
}

func (opts *verifyOptions) checkVerify() error {
	if err := checkSecretFlags(opts.Secrets, opts.Endpoint, opts.Tolerance); err != nil {
		return err
	}
	if len(opts.Headers) == 0 && opts.HeadersFile == "" {
		return cmdutil.FlagErrorf("give the request's headers with -H 'webhook-id: …' (and webhook-timestamp, webhook-signature) or --headers FILE")
	}
	if opts.HeadersFile == "-" && opts.BodyFile == "-" {
		return cmdutil.FlagErrorf("the body and the headers cannot both come from standard input")
	}
	return nil
}

func verifyRun(ctx context.Context, opts *verifyOptions) error {
	h := http.Header{}
	if opts.HeadersFile != "" {
		data, err := readBounded(opts.Factory, opts.HeadersFile, maxVerifyHeaders, "--headers")
		if err != nil {
			return err
		}
		parseHeaderLines(h, data)
	}
	for _, line := range opts.Headers {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return cmdutil.FlagErrorf("invalid header %q: want -H 'Name: value'", clip(line))
		}
		h.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	body, err := readBounded(opts.Factory, opts.BodyFile, maxVerifyBody, "the body")
	if err != nil {
		return err
	}
	secrets, _, err := opts.secrets(ctx)
	if err != nil {
		return err
	}
	hs := signing.HeadersFrom(h)
	err = signing.Verify(secrets, hs, body, signing.Options{Now: time.Now(), Tolerance: opts.Tolerance})
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("not valid: %w", err)}
	}
	fmt.Fprintf(opts.Factory.IOStreams.Out, "valid: the signature of webhook-id %s (timestamp %s) matches\n", clip(hs.ID), clip(hs.Timestamp))
	return nil
}

// readBounded reads a file ("-": standard input) of at most max bytes.
func readBounded(f *cmdutil.Factory, name string, max int64, what string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = f.IOStreams.In
	} else {
		file, err := os.Open(name)
		if err != nil {
			return nil, cmdutil.FlagErrorf("cannot read %s: %s", what, unwrapPath(err))
		}
		defer file.Close()
		r = file
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", what, err)
	}
	if int64(len(data)) > max {
		return nil, cmdutil.FlagErrorf("%s is larger than %d bytes", what, max)
	}
	return data, nil
}

func unwrapPath(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return clip(pe.Path) + ": " + pe.Err.Error()
	}
	return err.Error()
}

// parseHeaderLines adds the "Name: value" lines of data to h; request and
// status lines, blank lines and anything else without a colon are skipped.
func parseHeaderLines(h http.Header, data []byte) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxVerifyHeaders)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		h.Set(k, strings.TrimSpace(v))
	}
}
