package tail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	sse "github.com/tmaxmax/go-sse"

	"github.com/evtctl/evtctl/pkg/proto"
)

// runSSE follows one SSE source with go-sse's Connection, which reconnects
// after a dropped stream on its own (honouring the server's retry:) and
// resumes with Last-Event-ID. A refused answer ends Connect; this loop
// retries the temporary ones (429, 503) itself, from the last id seen.
func runSSE(ctx context.Context, s Spec, opts Options, e *emitter) error {
	bo := opts.Backoff.start()
	lastID := s.After
	for {
		e.status(Status{Kind: Connecting, Resume: lastID})
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL.String(), nil)
		if err != nil {
			return err
		}
		for k, v := range headerFor(s, opts) {
			req.Header[k] = append([]string(nil), v...)
		}
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		var refused *StatusError
		client := &sse.Client{
			HTTPClient: &http.Client{Transport: &watchTransport{base: transportOf(opts.HTTPClient), e: e}, Jar: opts.HTTPClient.Jar},
			ResponseValidator: func(resp *http.Response) error {
				if resp.StatusCode != http.StatusOK {
					refused = statusError(s.Name, resp)
					return refused
				}
				return sse.DefaultValidator(resp)
			},
			OnRetry: func(err error, d time.Duration) {
				e.status(Status{Kind: Disconnected, Err: unwrapSSE(err), RetryIn: d, Resume: lastID})
				e.status(Status{Kind: Connecting, Resume: lastID})
			},
			Backoff: sse.Backoff{
				InitialInterval: opts.Backoff.Initial,
				Multiplier:      opts.Backoff.Multiplier,
				Jitter:          opts.Backoff.Jitter,
				MaxInterval:     opts.Backoff.Max,
			},
		}
		conn := client.NewConnection(req)
		conn.Buffer(nil, 16<<20) // events up to the gateway's body limit
		conn.SubscribeToAll(func(ev sse.Event) {
			if ev.LastEventID != "" {
				lastID = ev.LastEventID
			}
			if ev.Data == "" {
				return // a retry: or id: alone is not an event
			}
			switch ev.Type {
			case "gap":
				e.status(Status{Kind: Gap, Note: ev.Data})
				return
			case proto.EventTypeAnalysis:
				e.item(newItem(s.Name, proto.FamilyAnalysis, ev.LastEventID, []byte(ev.Data), time.Now()))
				return
			}
			e.item(newItem(s.Name, s.Family, ev.LastEventID, []byte(ev.Data), time.Now()))
		})
		err = conn.Connect()
		if ctx.Err() != nil {
			return nil
		}
		if refused != nil && !refused.Temporary() {
			e.status(Status{Kind: Failed, Err: refused})
			return refused
		}
		var wait time.Duration
		if refused != nil {
			wait = max(bo.wait(), refused.RetryAfter)
			err = refused
		} else {
			// go-sse gave up (e.g. a wrong content type): start over.
			wait = bo.wait()
			err = unwrapSSE(err)
		}
		e.status(Status{Kind: Disconnected, Err: err, RetryIn: wait, Resume: lastID})
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

func unwrapSSE(err error) error {
	var ce *sse.ConnectionError
	if errors.As(err, &ce) && ce.Err != nil {
		if errors.Is(ce.Err, io.EOF) || ce.Err == nil {
			return fmt.Errorf("the server ended the stream")
		}
		return fmt.Errorf("%s: %w", ce.Reason, ce.Err)
	}
	if err == nil {
		return fmt.Errorf("the server ended the stream")
	}
	return err
}

// watchTransport reports a successful connection and the stream's comment
// lines (the gateway's ": keep-alive"), which go-sse's parser drops.
type watchTransport struct {
	base http.RoundTripper
	e    *emitter
}

func (t *watchTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusOK {
		t.e.status(Status{Kind: Connected})
		resp.Body = &commentWatcher{ReadCloser: resp.Body, e: t.e, lineStart: true}
	}
	return resp, err
}

// commentWatcher spots lines starting with ':' as they stream past.
type commentWatcher struct {
	io.ReadCloser
	e         *emitter
	lineStart bool
}

func (w *commentWatcher) Read(p []byte) (int, error) {
	n, err := w.ReadCloser.Read(p)
	seen := false
	for _, b := range p[:n] {
		if w.lineStart && b == ':' {
			seen = true
		}
		w.lineStart = b == '\n' || b == '\r'
	}
	if seen {
		w.e.status(Status{Kind: KeepAlive})
	}
	return n, err
}
