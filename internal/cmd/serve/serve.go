// Package serve implements `evtctl serve`, the gateway.
package serve

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/logging"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/tracing"
)

// Options are the flags of `evtctl serve`. Flags override the environment,
// which overrides the config file.
type Options struct {
	Factory    *cmdutil.Factory
	ConfigPath string
	Listen     string
	DataDir    string
	NATSURL    string
	AdminToken string
	Name       string
	TLSCert    string
	TLSKey     string
	Demo       bool
	DemoRate   float64
}

// NewCmdServe builds `evtctl serve`.
func NewCmdServe(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway: ingest API, event log, streams, rules and webhooks",
		Long: `Run the evtctl gateway.

By default evtctl embeds a NATS server with JetStream and keeps its data under
--data; nothing else needs to be installed. With --nats-url the same gateway
joins an external NATS JetStream cluster instead.

By default the gateway listens on 127.0.0.1:8100, for local clients only;
--listen :8100 accepts every interface (put TLS in front, see docs/security.md).

On first start, when no API key exists and no admin token is configured, an
admin key is created: its token is written to the file admin-key of the data
directory (readable by the gateway's user only) and, on a terminal, printed
once on stderr.

With --demo, sample events of every family are fed and, when the demo tenant
has no composite rule, the rule demo_bursts is created so composites flow.`,
		Example: `  evtctl serve --demo
  evtctl serve --listen :8100 --data /var/lib/evtctl
  evtctl serve --listen :8443 --tls-cert /etc/evtctl/tls.crt --tls-key /etc/evtctl/tls.key
  evtctl serve --config /etc/evtctl/evtctl.yaml --nats-url nats://a:4222,nats://b:4222`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveRun(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.ConfigPath, "config", "c", "", "YAML config file (write one with: evtctl config init)")
	fl.StringVar(&opts.Listen, "listen", "", "HTTP listen address (default 127.0.0.1:8100, local clients only; :8100 for every interface)")
	fl.StringVar(&opts.DataDir, "data", "", "data directory of the embedded storage (default ./evtctl-data)")
	fl.StringVar(&opts.NATSURL, "nats-url", "", "join an external NATS JetStream cluster (comma-separated URLs)")
	fl.StringVar(&opts.AdminToken, "admin-token", "", "static admin token (prefer EVTCTL_ADMIN_TOKEN: flags show in ps)")
	fl.StringVar(&opts.Name, "name", "", "gateway name used in composite group keys (default: host name)")
	fl.StringVar(&opts.TLSCert, "tls-cert", "", "PEM certificate file: serve HTTPS (with --tls-key)")
	fl.StringVar(&opts.TLSKey, "tls-key", "", "PEM private key file of --tls-cert")
	fl.BoolVar(&opts.Demo, "demo", false, "feed realistic sample events of every family")
	fl.Float64Var(&opts.DemoRate, "demo-rate", 5, "events per second of the --demo generator")
	return cmdutil.NoFormats(cmd)
}

func serveRun(cmd *cobra.Command, opts *Options) error {
	ios := opts.Factory.IOStreams
	cfg, err := config.Load(opts.ConfigPath, opts.Factory.Getenv)
	if err != nil {
		return err
	}
	fl := cmd.Flags()
	for _, o := range []struct {
		flag string
		dst  *string
		val  string
	}{
		{"listen", &cfg.Server.Listen, opts.Listen},
		{"data", &cfg.Storage.DataDir, opts.DataDir},
		{"nats-url", &cfg.Storage.NATSURL, opts.NATSURL},
		{"admin-token", &cfg.Server.AdminToken, opts.AdminToken},
		{"name", &cfg.Server.Name, opts.Name},
		{"tls-cert", &cfg.Server.TLSCert, opts.TLSCert},
		{"tls-key", &cfg.Server.TLSKey, opts.TLSKey},
	} {
		if fl.Changed(o.flag) {
			*o.dst = o.val
		}
	}
	if (cfg.Server.TLSCert == "") != (cfg.Server.TLSKey == "") && (fl.Changed("tls-cert") || fl.Changed("tls-key")) {
		return cmdutil.FlagErrorf("--tls-cert and --tls-key go together (or set the other as server.tls_cert/server.tls_key)")
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg.Resolve()
	if opts.DemoRate <= 0 {
		return cmdutil.FlagErrorf("--demo-rate must be positive")
	}

	logger, err := logging.New(ios.ErrOut, cfg.Log.Level, cfg.Log.Format, ios.IsStderrTTY())
	if err != nil {
		return err
	}
	// Tracing is configured by the standard OTEL_* variables alone (off
	// unless OTEL_TRACES_EXPORTER=otlp); see docs/operations.md#tracing.
	stopTracing, err := tracing.Setup(cmd.Context(), opts.Factory.Getenv)
	if err != nil {
		return err
	}
	defer func() {
		tctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(tctx); err != nil {
			logger.Warn("traces not flushed", "err", err)
		}
	}()
	// Every generation of the server gets fresh components (see
	// server.Builder): the storage stack is rebuilt on a new connection
	// when NATS closes the old one for good.
	srv := server.New(cfg, logger, func(ctx context.Context, h server.Handles) ([]component.Component, error) {
		cs, err := Components(ctx, h)
		if err == nil && opts.Demo {
			feed, ferr := newDemoFeed(ctx, h, opts.DemoRate, cs)
			if ferr != nil {
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				component.Stop(sctx, cs)
				return nil, ferr
			}
			cs = append(cs, feed)
		}
		return cs, err
	})
	ctx := cmd.Context()
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err = srv.Start(startCtx)
	cancel()
	if err != nil {
		return err
	}
	if key := srv.Bootstrap; key != nil {
		// The token is never logged: it goes to a file of the data
		// directory only the gateway's user can read, and to the
		// operator's terminal.
		announceBootstrap(ios, logger, cfg.Storage.DataDir, key)
	}
	fmt.Fprintf(ios.ErrOut, "evtctl is listening on %s\n", srv.URL())

	if opts.Demo {
		printDemoNext(ios.ErrOut, srv.URL(), opts.DemoRate)
	}

	<-ctx.Done()
	logger.Info("shutting down", "timeout", cfg.Server.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}
