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
	"sync"
	"sync/atomic"
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
	// MaxStore caps the embedded JetStream's file storage in bytes
	// (storage.max_store); 0 lets the server choose 75% of the free disk.
	MaxStore int64
	Logger   *slog.Logger
	// OnReconnect is called each time NATS re-establishes a connection by
	// itself after a disconnect (the connection and everything obtained
	// from it stay valid). It must not block.
	OnReconnect func()
}

// LocalSubjects covers the subjects of every stream and KV bucket evtctl
// creates: the event log, the KV buckets, and the webhook delivery records
// ("whd.") and requests ("whr."). A new stream's subjects must be added.
var LocalSubjects = []string{SubjectPrefix + ".>", "$KV.>", "whd.>", "whr.>"}

// Backbone is a connection to NATS with JetStream, and the embedded server
// when there is one.
//
// NATS re-establishes a dropped connection by itself, but some faults close
// it for good (a protocol error such as "maximum control line exceeded",
// repeated authorization failures): Lost then reports it, and Reopen dials
// a new connection to the same place. See docs/architecture.md, "Losing
// the connection to storage".
type Backbone struct {
	NC       *nats.Conn
	JS       jetstream.JetStream
	embedded *server.Server
	// ownsServer says that Close stops the embedded server: the server
	// outlives the connections of a gateway, and belongs to the newest.
	ownsServer atomic.Bool
	// preload is the journal read while the embedded server started.
	preload atomic.Pointer[JournalPreload]
	opts    Options
	log     *slog.Logger

	closing atomic.Bool   // Close was called: a close is expected
	lost    chan struct{} // closed when NATS closed the connection for good
	lostErr error         // why, written before lost is closed

	// changed is closed and replaced each time the connection drops or
	// comes back: a request sent just before a drop gets no answer, and
	// whoever waits for one can stop waiting then (Healthy).
	changedMu sync.Mutex
	changed   chan struct{}
}

// Open starts the embedded server (or dials the external one) and returns a
// ready JetStream context.
func Open(ctx context.Context, o Options) (*Backbone, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var embedded *server.Server
	var preload *JournalPreload
	if o.NATSURL == "" {
		// The de-duplication journal is read while the server restores
		// its streams (seconds for a large log): the first log opened
		// on this backbone takes it (JournalPreload).
		preload = PreloadJournal(indexDir(o.DataDir))
		var err error
		if embedded, err = startEmbedded(ctx, o); err != nil {
			preload.image(indexDir(o.DataDir)) // let it finish
			return nil, err
		}
	}
	b, err := connect(ctx, o, embedded)
	if err != nil {
		if embedded != nil {
			preload.image(indexDir(o.DataDir))
			embedded.Shutdown()
			embedded.WaitForShutdown()
		}
		return nil, err
	}
	b.preload.Store(preload)
	b.ownsServer.Store(embedded != nil)
	return b, nil
}

// Reopen dials a new connection to the same server or cluster as b, with
// a new JetStream context, waiting for JetStream as Open does. On success
// the new backbone owns the embedded server (its Close stops it) and b
// keeps only its own connection, so b can then be closed.
func (b *Backbone) Reopen(ctx context.Context) (*Backbone, error) {
	nb, err := connect(ctx, b.opts, b.embedded)
	if err != nil {
		return nil, err
	}
	nb.ownsServer.Store(b.ownsServer.Swap(false))
	return nb, nil
}

// connect opens a connection (in-process when embedded is set) and its
// JetStream context, and waits until JetStream answers.
func connect(ctx context.Context, o Options, embedded *server.Server) (*Backbone, error) {
	b := &Backbone{embedded: embedded, opts: o, log: o.Logger, lost: make(chan struct{}), changed: make(chan struct{})}
	common := []nats.Option{
		nats.Name(o.Name),
		nats.MaxReconnects(-1),
		// Also for the in-process connection, which the embedded server
		// may drop (nats.go's default waits 2 s before each attempt).
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			b.connectionChanged()
			if err != nil && !b.closing.Load() {
				o.Logger.Warn("disconnected from NATS; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.connectionChanged()
			o.Logger.Info("reconnected to NATS", "url", redactURL(nc.ConnectedUrl()))
			if o.OnReconnect != nil {
				o.OnReconnect()
			}
		}),
		nats.ClosedHandler(b.closed),
		// Asynchronous errors (a protocol error, a consumer that stopped
		// answering) go to the log; nats.go would print them to stderr.
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				o.Logger.Warn("NATS error", "err", err, "subject", sub.Subject)
			} else {
				o.Logger.Warn("NATS error", "err", err)
			}
		}),
	}
	var err error
	if embedded != nil {
		b.NC, err = nats.Connect("", append(common, nats.InProcessServer(embedded))...)
	} else {
		b.NC, err = nats.Connect(o.NATSURL, append(common, nats.RetryOnFailedConnect(false))...)
	}
	if err != nil {
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

// closed is the connection's ClosedHandler. A close that Close did not ask
// for is permanent: nats.go will not reconnect, so whoever holds objects
// of this connection must build new ones on a new connection.
func (b *Backbone) closed(nc *nats.Conn) {
	if b.closing.Load() {
		return
	}
	b.lostErr = nc.LastError()
	if b.lostErr == nil {
		b.lostErr = errors.New("connection closed")
	}
	b.log.Error("NATS closed the connection for good", "err", b.lostErr)
	close(b.lost)
}

// Lost is closed when NATS closed the connection for good without Close
// being called (LostErr says why). It is never closed by Close.
func (b *Backbone) Lost() <-chan struct{} { return b.lost }

// LostErr is why the connection was lost; valid once Lost is closed.
func (b *Backbone) LostErr() error {
	select {
	case <-b.lost:
		return b.lostErr
	default:
		return nil
	}
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
		// At most a second between tries: a gateway healing its
		// connection is ready within two seconds of storage answering.
		wait = min(2*wait, time.Second)
	}
}

func (b *Backbone) where(o Options) string {
	if o.NATSURL == "" {
		return "the embedded server"
	}
	return redactURL(o.NATSURL)
}

func startEmbedded(ctx context.Context, o Options) (*server.Server, error) {
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
	if o.MaxStore > 0 {
		sopts.JetStreamMaxStore = o.MaxStore
	}
	// One process at a time uses a data directory (lock.go); the lock is
	// released when the server has shut down.
	lock, err := LockDataDir(o.DataDir)
	if err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			lock.Unlock()
		}
	}()
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
	// The server is ready once it has restored every stream from disk,
	// which for a large store can take longer than any fixed limit: wait
	// as long as the caller does, saying every few seconds what we wait
	// for (the data directory is ours already: lock.go).
	began := time.Now()
	for !ns.ReadyForConnections(readyReport) {
		if ctx.Err() != nil {
			ns.Shutdown()
			return nil, fmt.Errorf("embedded NATS server not ready after %s (still restoring the streams in %s): %w", time.Since(began).Round(time.Second), sopts.StoreDir, ctx.Err())
		}
		o.Logger.Info("embedded storage still restoring its streams from disk", "dir", sopts.StoreDir, "waited", time.Since(began).Round(time.Second).String())
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded NATS server could not enable JetStream in %s", sopts.StoreDir)
	}
	started = true
	go func() { ns.WaitForShutdown(); lock.Unlock() }()
	return ns, nil
}

// readyReport is how often a slow start of the embedded server is logged.
const readyReport = 10 * time.Second

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

// IndexDir is where the event log keeps the journal of its
// de-duplication index (LogOptions.IndexDir): in the locked data directory
// of the embedded server; "" with an external one, whose nodes read the
// window back from the log.
func (b *Backbone) IndexDir() string {
	if b.embedded == nil {
		return ""
	}
	return indexDir(b.opts.DataDir)
}

func indexDir(dataDir string) string { return filepath.Join(dataDir, "dedup") }

// JournalPreload returns the de-duplication journal read while the
// embedded server started (LogOptions.Preload), once: a log opened later
// (after a storage rebuild) reads the journal as it is then.
func (b *Backbone) JournalPreload() *JournalPreload { return b.preload.Swap(nil) }

// EmbeddedServer is the NATS server running inside this process, or nil
// (tests use it to cut the gateway's connection).
func (b *Backbone) EmbeddedServer() *server.Server { return b.embedded }

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

// Healthy reports whether JetStream answers now, within healthTimeout. A
// check whose connection drops meanwhile does not wait for the answer
// lost with it: it reports the drop, or asks again once reconnected.
func (b *Backbone) Healthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	for {
		if b.NC == nil || !b.NC.IsConnected() {
			return errors.New("not connected to NATS")
		}
		changed := b.connectionChanges()
		err := b.accountInfo(ctx, changed)
		if err != nil && ctx.Err() == nil && isClosed(changed) {
			// Asked on a connection that dropped meanwhile, whose answer
			// would never come: ask again on the current one, if any.
			continue
		}
		return err
	}
}

// healthTimeout bounds one readiness check.
const healthTimeout = 2 * time.Second

// accountInfo asks JetStream for the account's information, giving up
// when changed is closed.
func (b *Backbone) accountInfo(ctx context.Context, changed <-chan struct{}) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-changed:
			cancel()
		case <-ctx.Done():
		}
	}()
	_, err := b.JS.AccountInfo(ctx)
	return err
}

// connectionChanges is closed when the connection next drops or comes
// back.
func (b *Backbone) connectionChanges() <-chan struct{} {
	b.changedMu.Lock()
	defer b.changedMu.Unlock()
	return b.changed
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// connectionChanged wakes whoever waits in connectionChanges.
func (b *Backbone) connectionChanged() {
	b.changedMu.Lock()
	defer b.changedMu.Unlock()
	close(b.changed)
	b.changed = make(chan struct{})
}

// Close drains the connection (so pending acks arrive) and stops the
// embedded server when this backbone owns it (see Reopen). Safe to call
// more than once.
func (b *Backbone) Close() {
	b.closing.Store(true)
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
	if b.ownsServer.Swap(false) {
		b.embedded.Shutdown()
		b.embedded.WaitForShutdown()
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
