package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options say where the backbone lives.
type Options struct {
	// Name identifies this node to NATS (server name of the embedded server,
	// connection name otherwise).
	Name string
	// DataDir holds the embedded server's JetStream file store.
	DataDir string
	// NATSURL, when set, dials an external NATS server or cluster (a comma
	// separated list of URLs) instead of embedding one.
	NATSURL string
	// NATSListen makes the embedded server also accept network clients on
	// host:port (for tools such as the nats CLI, or other nodes).
	NATSListen string
	// LeafListen makes the embedded server accept leaf node connections
	// (edges) on host:port.
	LeafListen string
	// LeafRemotes joins the embedded server to a remote cluster as a leaf node.
	LeafRemotes []string
	Logger      *slog.Logger
}

// LocalSubjects covers the subjects of every stream and KV bucket evtctl
// creates: the event log, the KV buckets, and the webhook delivery records
// ("whd.") and requests ("whr."). A new stream's subjects must be added.
var LocalSubjects = []string{SubjectPrefix + ".>", "$KV.>", "whd.>", "whr.>"}

// Backbone is a connection to NATS with JetStream, and the embedded server
// when there is one.
type Backbone struct {
	NC       *nats.Conn
	JS       jetstream.JetStream
	embedded *server.Server
	log      *slog.Logger
}

// Open starts the embedded server (or dials the external one) and returns a
// ready JetStream context.
func Open(ctx context.Context, o Options) (*Backbone, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Backbone{log: o.Logger}
	var err error
	if o.NATSURL == "" {
		b.embedded, err = startEmbedded(o)
		if err != nil {
			return nil, err
		}
		b.NC, err = nats.Connect("", nats.InProcessServer(b.embedded), nats.Name(o.Name), nats.MaxReconnects(-1))
	} else {
		b.NC, err = nats.Connect(o.NATSURL,
			nats.Name(o.Name),
			nats.MaxReconnects(-1),
			nats.ReconnectWait(250*time.Millisecond),
			nats.RetryOnFailedConnect(false),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil {
					o.Logger.Warn("disconnected from NATS", "err", err)
				}
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) {
				o.Logger.Info("reconnected to NATS", "url", redactURL(nc.ConnectedUrl()))
			}),
		)
	}
	if err != nil {
		b.shutdownEmbedded()
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	b.JS, err = jetstream.New(b.NC,
		jetstream.WithPublishAsyncMaxPending(16384),
		jetstream.WithPublishAsyncTimeout(10*time.Second),
		jetstream.WithDefaultTimeout(10*time.Second),
	)
	if err != nil {
		b.Close()
		return nil, err
	}
	if err := b.waitForJetStream(ctx, o); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// waitForJetStream retries until JetStream answers or ctx ends: a cluster
// that is starting at the same time as the gateway may take a while to
// elect its meta leader, and that is not a reason to exit.
func (b *Backbone) waitForJetStream(ctx context.Context, o Options) error {
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := b.JS.AccountInfo(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("JetStream is not available on %s: %w", b.where(o), err)
		}
		if attempt == 1 || attempt%10 == 0 {
			b.log.Warn("waiting for JetStream", "on", b.where(o), "err", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("JetStream is not available on %s: %w", b.where(o), err)
		case <-time.After(wait):
		}
		if wait < 2*time.Second {
			wait *= 2
		}
	}
}

func (b *Backbone) where(o Options) string {
	if o.NATSURL == "" {
		return "the embedded server"
	}
	return redactURL(o.NATSURL)
}

func startEmbedded(o Options) (*server.Server, error) {
	sopts := &server.Options{
		ServerName: serverName(o.Name),
		JetStream:  true,
		StoreDir:   filepath.Join(o.DataDir, "jetstream"),
		DontListen: o.NATSListen == "",
		NoSigs:     true,
		// Many idle stream subscribers must not be bounded by NATS's own
		// defaults: the gateway, not NATS, holds the client connections.
		MaxPayload: 8 << 20,
	}
	if o.NATSListen != "" {
		host, port, err := splitListen("storage.nats_listen", o.NATSListen)
		if err != nil {
			return nil, err
		}
		sopts.Host, sopts.Port = host, port
	}
	if o.LeafListen != "" {
		host, port, err := splitListen("storage.leaf_listen", o.LeafListen)
		if err != nil {
			return nil, err
		}
		sopts.LeafNode.Host, sopts.LeafNode.Port = host, port
	}
	if len(o.LeafRemotes) > 0 {
		var urls []*url.URL
		for _, r := range o.LeafRemotes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("storage.leaf_remotes %q: %w", r, err)
			}
			urls = append(urls, u)
		}
		// The subjects of evtctl's own streams and buckets do not cross the
		// leaf connection: both sides' streams listen on the same subjects
		// and would otherwise each store the other's events, keys and
		// endpoints. The cloud reads the edge's log through its domain's
		// JetStream API (storage.edge_sources), which these rules leave open.
		sopts.LeafNode.Remotes = []*server.RemoteLeafOpts{{URLs: urls, DenyImports: LocalSubjects, DenyExports: LocalSubjects}}
		// A leaf keeps its own JetStream domain so that the edge's log stays
		// local and survives a broken uplink.
		sopts.JetStreamDomain = EdgeDomain(o.Name)
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("start embedded NATS: %w", err)
	}
	ns.SetLoggerV2(&natsLogger{l: o.Logger.With("component", "nats")}, false, false, false)
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded NATS server did not become ready within 30s (is the data directory locked by another evtctl?)")
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded NATS server could not enable JetStream in %s", sopts.StoreDir)
	}
	return ns, nil
}

// splitListen parses a host:port setting.
func splitListen(key, v string) (string, int, error) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", 0, fmt.Errorf("%s %q: %w", key, v, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", 0, fmt.Errorf("%s %q: bad port", key, v)
	}
	return host, p, nil
}

// EdgeDomain is the JetStream domain of an edge's embedded server, by the
// edge's server.name: the cloud reaches the edge's log through it.
func EdgeDomain(name string) string { return "edge-" + serverName(name) }

func serverName(n string) string {
	n = strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '*' || r == '>' {
			return '-'
		}
		return r
	}, n)
	if n == "" {
		return "evtctl"
	}
	return n
}

// Embedded reports whether the NATS server runs inside this process.
func (b *Backbone) Embedded() bool { return b.embedded != nil }

// AutoReplicas is the replica count for storage.replicas 0: 3 when the
// external NATS cluster has at least three servers (those configured plus
// those it announced), else 1.
func (b *Backbone) AutoReplicas() int {
	if b.embedded == nil && len(b.NC.Servers()) >= 3 {
		return 3
	}
	return 1
}

// ClientURL is the embedded server's network URL, or "" without a listener.
func (b *Backbone) ClientURL() string {
	if b.embedded == nil || b.embedded.Addr() == nil {
		return ""
	}
	return b.embedded.ClientURL()
}

// Healthy reports whether JetStream answers now.
func (b *Backbone) Healthy(ctx context.Context) error {
	if b.NC == nil || !b.NC.IsConnected() {
		return errors.New("not connected to NATS")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := b.JS.AccountInfo(ctx)
	return err
}

// Close drains the connection (so pending acks arrive) and stops the
// embedded server. Safe to call more than once.
func (b *Backbone) Close() {
	if b.NC != nil && !b.NC.IsClosed() {
		done := make(chan struct{})
		b.NC.SetClosedHandler(func(*nats.Conn) { close(done) })
		if err := b.NC.Drain(); err != nil {
			b.NC.Close()
		} else {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				b.NC.Close()
			}
		}
	}
	b.shutdownEmbedded()
}

func (b *Backbone) shutdownEmbedded() {
	if b.embedded != nil {
		b.embedded.Shutdown()
		b.embedded.WaitForShutdown()
		b.embedded = nil
	}
}

// redactURL hides credentials in NATS URLs before they reach a log line.
func redactURL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			u.User = url.User("redacted")
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}

// natsLogger forwards the embedded server's log lines to slog.
type natsLogger struct{ l *slog.Logger }

func (n *natsLogger) Noticef(format string, v ...any) { n.l.Debug(fmt.Sprintf(format, v...)) }
func (n *natsLogger) Warnf(format string, v ...any)   { n.l.Warn(fmt.Sprintf(format, v...)) }
func (n *natsLogger) Fatalf(format string, v ...any)  { n.l.Error(fmt.Sprintf(format, v...)) }
func (n *natsLogger) Errorf(format string, v ...any)  { n.l.Error(fmt.Sprintf(format, v...)) }
func (n *natsLogger) Debugf(format string, v ...any)  { n.l.Debug(fmt.Sprintf(format, v...)) }
func (n *natsLogger) Tracef(format string, v ...any)  {}
