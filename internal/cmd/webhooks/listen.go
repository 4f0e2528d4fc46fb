package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/endpoints"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/webhook/signing"
)

// DefaultListen is where listen receives by default: loopback only.
const DefaultListen = "127.0.0.1:8200"

// forwardTimeout bounds a forward: below the gateway's default
// webhooks.timeout (10 s), so the listener still answers the gateway in
// time when the application hangs.
const forwardTimeout = 8 * time.Second

// SecretEnv holds the secret when neither --secret nor --endpoint is given
// (a flag's value shows in the process list).
const SecretEnv = "EVTCTL_WEBHOOK_SECRET"

// listenOptions are the inputs of `evtctl webhooks listen`.
type listenOptions struct {
	Factory *cmdutil.Factory

	Listen      string
	Port        int
	AllowRemote bool
	Secrets     []string
	Endpoint    string
	ForwardTo   string
	Tolerance   time.Duration
	MaxBody     int64
	Count       int
	NoUI        bool
	SaveDir     string
}

// newCmdListen builds `evtctl webhooks listen`.
func newCmdListen(f *cmdutil.Factory) *cobra.Command {
	opts := &listenOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "listen (--endpoint ID | --secret whsec_…) [--port N] [--forward-to URL]",
		Short: "Receive webhook requests locally, verify their signatures and print them",
		Long: `Run a local webhook receiver for development. Each request's Standard Webhooks
signature (webhook-id, webhook-timestamp, webhook-signature) is checked with the
endpoint's secret: --endpoint ID fetches it from the gateway (admin key), --secret
gives it (repeatable, e.g. old and new during a rotation; or ` + SecretEnv + `).

A verified request is answered 204 and printed; with --forward-to it is first passed
on to your application with its headers and body unchanged (so the application can
verify it too) and the application's status is printed. A request that fails the
check is answered 400 (missing or malformed headers), 401 (wrong signature, or a
timestamp further than --tolerance from this clock), 405 (not a POST) or 413 (body
over --max-body), and printed as rejected; the gateway retries it on its schedule.

On a terminal, listen shows a full-screen list (q quits). Otherwise it prints one
JSON line per request on standard output (verified, answer, reason, webhook_id,
event, forward, saved) and nothing else; the address goes to standard error.
--save keeps each request's body and headers in files for 'evtctl webhooks verify'.

The receiver listens on loopback only unless --allow-remote. The gateway refuses to
deliver to loopback addresses unless its webhooks.allow_cidrs lists them: for a
gateway on the same machine, add 127.0.0.0/8 to it in the development config.`,
		Example: `  evtctl webhooks listen --endpoint ep_4f2a --forward-to http://localhost:3000/hooks
  evtctl webhooks listen --secret "$(evtctl endpoints secret ep_4f2a)" --port 9000 | jq .event
  evtctl webhooks listen --endpoint ep_4f2a -n 1 --no-ui   # wait for one verified event`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("port") && cmd.Flags().Changed("listen") {
				return cmdutil.FlagErrorf("give --port or --listen, not both")
			}
			if cmd.Flags().Changed("port") {
				if opts.Port < 0 || opts.Port > 65535 {
					return cmdutil.FlagErrorf("invalid --port %d: want 0 to 65535", opts.Port)
				}
				opts.Listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port))
			}
			if err := opts.check(); err != nil {
				return err
			}
			return listenRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Listen, "listen", DefaultListen, "`host:port` to listen on (loopback unless --allow-remote)")
	fl.IntVar(&opts.Port, "port", 0, "listen on 127.0.0.1 at this port (0: any free port)")
	fl.BoolVar(&opts.AllowRemote, "allow-remote", false, "allow --listen on an address other than loopback")
	fl.StringArrayVar(&opts.Secrets, "secret", nil, "verify with this `whsec_…` secret (repeatable; default $"+SecretEnv+")")
	fl.StringVar(&opts.Endpoint, "endpoint", "", "verify with the secret of this webhook endpoint `ID`, fetched from the gateway")
	fl.StringVar(&opts.ForwardTo, "forward-to", "", "pass each verified request on to this http(s) `URL`")
	fl.DurationVar(&opts.Tolerance, "tolerance", signing.DefaultTolerance, "largest accepted difference between webhook-timestamp and this clock (0: not checked)")
	fl.Int64Var(&opts.MaxBody, "max-body", DefaultMaxBody, "largest accepted body in `bytes`")
	fl.IntVarP(&opts.Count, "count", "n", 0, "exit after this many verified requests (0 = run until interrupted)")
	fl.BoolVar(&opts.NoUI, "no-ui", false, "print JSON lines even on a terminal")
	fl.StringVar(&opts.SaveDir, "save", "", "write each request to `dir` as req-NNNNNN.body and .headers, which 'webhooks verify' reads")
	_ = cmd.RegisterFlagCompletionFunc("endpoint", resource.IDs(f, endpoints.Resource.Path))
	return cmd
}

// check validates the flags that need no network.
func (opts *listenOptions) check() error {
	if err := checkSecretFlags(opts.Secrets, opts.Endpoint, opts.Tolerance); err != nil {
		return err
	}
	if opts.MaxBody <= 0 {
		return cmdutil.FlagErrorf("--max-body must be positive")
	}
	if opts.Count < 0 {
		return cmdutil.FlagErrorf("--count must not be negative")
	}
	if opts.ForwardTo != "" {
		u, err := url.Parse(opts.ForwardTo)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cmdutil.FlagErrorf("invalid --forward-to %q: want an http:// or https:// URL", clip(opts.ForwardTo))
		}
	}
	host, _, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return cmdutil.FlagErrorf("invalid --listen %q: want host:port", clip(opts.Listen))
	}
	if !opts.AllowRemote && !loopback(host) {
		return cmdutil.FlagErrorf("--listen %q is not a loopback address: anyone who can reach it could send requests; add --allow-remote if you mean it", clip(opts.Listen))
	}
	return nil
}

// loopback reports whether host names this machine only.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// secrets returns the secrets to verify with: the flags, the environment,
// or the endpoint's secret from the gateway.
func (opts *listenOptions) secrets(ctx context.Context) ([]string, string, error) {
	if len(opts.Secrets) > 0 {
		return opts.Secrets, plural(len(opts.Secrets), "secret"), nil
	}
	if opts.Endpoint == "" {
		if s := opts.Factory.Getenv(SecretEnv); s != "" {
			if _, err := signing.DecodeSecret(s); err != nil {
				return nil, "", cmdutil.FlagErrorf("invalid $%s: %s", SecretEnv, err)
			}
			return []string{s}, "the secret of $" + SecretEnv, nil
		}
		return nil, "", cmdutil.FlagErrorf("give --endpoint ID or --secret whsec_… (or set $%s): requests are verified with it", SecretEnv)
	}
	c, err := opts.Factory.APIClient()
	if err != nil {
		return nil, "", err
	}
	var body struct {
		Secret string `json:"secret"`
	}
	if err := c.Do(ctx, "GET", endpoints.Resource.ItemPath(opts.Endpoint)+"/secret", nil, nil, &body); err != nil {
		return nil, "", err
	}
	if _, err := signing.DecodeSecret(body.Secret); err != nil {
		return nil, "", fmt.Errorf("the gateway gave endpoint %s no usable secret (is it a webhook endpoint?)", clip(opts.Endpoint))
	}
	return []string{body.Secret}, "the secret of endpoint " + opts.Endpoint, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func listenRun(ctx context.Context, opts *listenOptions) error {
	secrets, from, err := opts.secrets(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", opts.Listen, err)
	}
	addr := ln.Addr().String()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	records := make(chan Record, 256)
	rv := &receiver{
		secrets: secrets, tolerance: opts.Tolerance, maxBody: opts.MaxBody, forward: opts.ForwardTo,
		now: time.Now, out: records,
		client: &http.Client{
			Timeout: forwardTimeout,
			// The application's redirect is its answer; a POST is not
			// re-sent elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	if opts.SaveDir != "" {
		if err := os.MkdirAll(opts.SaveDir, 0o700); err != nil {
			ln.Close()
			return fmt.Errorf("cannot create the --save directory: %w", err)
		}
		rv.saver = &saver{dir: opts.SaveDir}
	}
	srv := &http.Server{
		Handler:           rv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1)
	// served gets Serve's error, then is closed: whoever reads it first
	// (a run loop on failure, or the shutdown below) never waits.
	go func() { served <- srv.Serve(ln); close(served) }()
	defer func() {
		cancel() // handlers waiting to hand over a record give up
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
		<-served
	}()

	banner := Banner{URL: "http://" + addr + "/", Secrets: from, ForwardTo: opts.ForwardTo}
	fmt.Fprintf(opts.Factory.IOStreams.ErrOut, "evtctl webhooks listen: %s\n", banner)

	ios := opts.Factory.IOStreams
	jq, err := cmdutil.JQFilter(opts.Factory)
	if err != nil {
		return err
	}
	if ios.IsStdoutTTY() && ios.IsStdinTTY() && !opts.NoUI && jq == nil {
		return runUI(ctx, cancel, opts, banner, records, served)
	}
	return runLines(ctx, opts, records, served)
}

// runLines prints one JSON line per record until ctx ends or --count
// verified requests arrived.
func runLines(ctx context.Context, opts *listenOptions, records <-chan Record, served <-chan error) error {
	verified := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-served:
			return fmt.Errorf("the receiver stopped: %w", err)
		case rec := <-records:
			data, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			if err := cmdutil.WriteJSONLine(opts.Factory, data); err != nil {
				if errors.Is(err, syscall.EPIPE) {
					return nil // the reader went away (| head): a normal end
				}
				return err
			}
			if rec.Verified {
				verified++
				if opts.Count > 0 && verified >= opts.Count {
					return nil
				}
			}
		}
	}
}

// Banner is what the listener says about itself when it starts.
type Banner struct {
	URL       string
	Secrets   string // "the secret of endpoint …", "2 secrets"
	ForwardTo string
}

func (b Banner) String() string {
	s := "listening on " + b.URL + ", verifying with " + b.Secrets
	if b.ForwardTo != "" {
		s += ", forwarding to " + b.ForwardTo
	}
	return s
}
