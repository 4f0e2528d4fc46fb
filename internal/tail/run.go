package tail

import (
	"context"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sync/errgroup"
)

// Options configure every source of a Run.
type Options struct {
	// Header is sent on every connection (Authorization, -H values).
	Header http.Header
	// Backoff is the reconnect schedule; zero means DefaultBackoff.
	Backoff Backoff
	// HTTPClient carries SSE connections; nil means one without a timeout.
	HTTPClient *http.Client
	// Dialer opens WebSocket connections; nil means a default one.
	Dialer *websocket.Dialer
	// PingInterval is how often WebSocket sources ping the server; a
	// connection with no message or pong for three intervals is considered
	// dead and reconnected. Zero means 20 s.
	PingInterval time.Duration
	// Since, when set, makes every source with a History first send the
	// events the gateway recorded since then, then follow from the last.
	Since time.Time
}

// Output receives what the sources produce. Run calls the channels from
// every source's goroutine; a slow reader slows the sources down (which
// the server eventually answers by dropping them, and they resume).
type Output struct {
	Items  chan<- Item
	Status chan<- Status
}

// Run follows every source until ctx ends (then it returns nil) or one
// fails permanently: a refusal that retrying will not fix (401, 403, 404,
// 400). Then the others are stopped and that source's error is returned.
func Run(ctx context.Context, specs []Spec, opts Options, out Output) error {
	if opts.Backoff == (Backoff{}) {
		opts.Backoff = DefaultBackoff
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Dialer == nil {
		opts.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 20 * time.Second
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range specs {
		e := &emitter{ctx: gctx, out: out, source: s.Name}
		g.Go(func() error {
			if !opts.Since.IsZero() && s.History != nil {
				if err := history(&s, opts, e); err != nil {
					if gctx.Err() == nil {
						e.status(Status{Kind: Failed, Err: err})
					}
					return err
				}
			}
			if s.Kind == WebSocket {
				return runWS(gctx, s, opts, e)
			}
			return runSSE(gctx, s, opts, e)
		})
	}
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// headerFor merges the common and the source's headers.
func headerFor(s Spec, opts Options) http.Header {
	h := opts.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for k, v := range s.Header {
		h[k] = append([]string(nil), v...)
	}
	return h
}

// emitter sends one source's items and statuses, giving up when ctx ends.
type emitter struct {
	ctx    context.Context
	out    Output
	source string
}

func (e *emitter) item(it Item) {
	select {
	case e.out.Items <- it:
	case <-e.ctx.Done():
	}
}

func (e *emitter) status(s Status) {
	if e.out.Status == nil {
		return
	}
	s.Source = e.source
	if s.At.IsZero() {
		s.At = time.Now()
	}
	select {
	case e.out.Status <- s:
	case <-e.ctx.Done():
	}
}

// sleep waits d or until ctx ends; it reports whether to go on.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
