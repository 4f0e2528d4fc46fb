package loadtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// Transports.
const (
	WS  = "ws"
	SSE = "sse"
)

// Target is what a fleet connects to and how.
type Target struct {
	Transport string // WS or SSE
	URL       string // ws(s):// for WS, http(s):// for SSE
	// Conns is the number of connections of the whole run. A fleet opens
	// connections Index, Index+Stride, … of them, so that workers share the
	// run and each connection keeps its token and source address whichever
	// worker holds it.
	Conns, Index, Stride int
	Rate                 float64 // new connections per second of this fleet; 0: no limit
	Inflight             int     // handshakes in flight at most
	DialTimeout          time.Duration
	Sources              []netip.Addr // source addresses, round robin; empty: the kernel picks
	Header               http.Header  // extra handshake headers
	Tokens               []string     // bearer tokens, round robin; empty: none
	FirstMessage         string       // WS: text message sent after the handshake
}

func (t *Target) validate() error {
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", t.URL)
	}
	switch {
	case t.Transport == WS && (u.Scheme == "ws" || u.Scheme == "wss"):
	case t.Transport == SSE && (u.Scheme == "http" || u.Scheme == "https"):
	case t.Transport == WS:
		return fmt.Errorf("a WebSocket URL starts with ws:// or wss://, not %q", u.Scheme+"://")
	case t.Transport == SSE:
		return fmt.Errorf("an SSE URL starts with http:// or https://, not %q", u.Scheme+"://")
	default:
		return fmt.Errorf("unknown transport %q: use ws or sse", t.Transport)
	}
	if t.Conns < 1 {
		return errors.New("the number of connections must be at least 1")
	}
	if t.Stride < 1 {
		t.Stride = 1
	}
	if t.Inflight < 1 {
		t.Inflight = 256
	}
	if t.DialTimeout <= 0 {
		t.DialTimeout = 15 * time.Second
	}
	return nil
}

// fleet holds a set of connections for the controller.
type fleet interface {
	Progress() Progress
	// Ramped is closed when every connection attempt has been answered
	// (established, rejected or failed).
	Ramped() <-chan struct{}
	// Stop closes every connection and returns what was measured.
	Stop() (*Result, error)
}

// localFleet holds connections in this process.
type localFleet struct {
	t      Target
	u      *url.URL
	st     *stats
	ctx    context.Context
	cancel context.CancelFunc
	conns  sync.WaitGroup // connection goroutines
	ramped chan struct{}

	netDialers []*net.Dialer
	wsDialers  []*websocket.Dialer
	tlsConfig  *tls.Config
}

// wsWriteBuffers is shared by every WebSocket: clients write only their
// first message and close frames, so an idle connection holds no buffer.
var wsWriteBuffers = &sync.Pool{}

// startLocal validates t and starts ramping up its connections.
func startLocal(t Target) (*localFleet, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(t.URL)
	ctx, cancel := context.WithCancel(context.Background())
	f := &localFleet{t: t, u: u, st: newStats(), ctx: ctx, cancel: cancel, ramped: make(chan struct{}),
		tlsConfig: &tls.Config{ServerName: u.Hostname()}}
	sources := t.Sources
	if len(sources) == 0 {
		sources = []netip.Addr{{}} // the zero Addr: no LocalAddr
	}
	for _, src := range sources {
		nd := &net.Dialer{Timeout: t.DialTimeout}
		if src.IsValid() {
			nd.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
		}
		f.netDialers = append(f.netDialers, nd)
		f.wsDialers = append(f.wsDialers, &websocket.Dialer{
			NetDialContext:   nd.DialContext,
			HandshakeTimeout: t.DialTimeout,
			TLSClientConfig:  f.tlsConfig,
			// Small buffers: a load-test client exists to hold many idle
			// connections.
			ReadBufferSize:  1024,
			WriteBufferPool: wsWriteBuffers,
		})
	}
	go f.ramp()
	return f, nil
}

// ramp opens this fleet's share of connections at the configured rate,
// with at most Inflight handshakes at a time.
func (f *localFleet) ramp() {
	defer close(f.ramped)
	lim := rate.NewLimiter(rate.Inf, 1)
	if f.t.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(f.t.Rate), 1)
	}
	sem := make(chan struct{}, f.t.Inflight)
	var dialing sync.WaitGroup
	for g := f.t.Index; g < f.t.Conns; g += f.t.Stride {
		if lim.Wait(f.ctx) != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-f.ctx.Done():
		}
		if f.ctx.Err() != nil {
			break
		}
		f.st.attempted.Add(1)
		dialing.Add(1)
		f.conns.Add(1)
		go func(g int) {
			defer f.conns.Done()
			var once sync.Once
			answered := func() { once.Do(func() { <-sem; dialing.Done() }) }
			defer answered()
			if f.t.Transport == WS {
				f.runWS(g, answered)
			} else {
				f.runSSE(g, answered)
			}
		}(g)
	}
	dialing.Wait()
}

// header returns the handshake headers of connection g.
func (f *localFleet) header(g int) http.Header {
	h := f.t.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if len(f.t.Tokens) > 0 && h.Get("Authorization") == "" {
		h.Set("Authorization", "Bearer "+f.t.Tokens[g%len(f.t.Tokens)])
	}
	return h
}

// Progress implements fleet.
func (f *localFleet) Progress() Progress { return f.st.progress() }

// Ramped implements fleet.
func (f *localFleet) Ramped() <-chan struct{} { return f.ramped }

// Stop implements fleet.
func (f *localFleet) Stop() (*Result, error) {
	f.cancel()
	<-f.ramped
	f.conns.Wait()
	return f.st.result(), nil
}
