package loadtest

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"time"

	sse "github.com/tmaxmax/go-sse"
)

// runSSE holds SSE stream g until the fleet stops or the server ends it.
// The request is written on a connection of our own (rather than through
// http.Client) so that the source address is chosen per connection and an
// idle stream costs one goroutine and one small buffer.
func (f *localFleet) runSSE(g int, answered func()) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(f.ctx, f.t.DialTimeout)
	defer cancel()
	addr := f.u.Host
	if f.u.Port() == "" {
		port := "80"
		if f.u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(f.u.Hostname(), port)
	}
	conn, err := f.netDialers[g%len(f.netDialers)].DialContext(ctx, "tcp", addr)
	if err != nil {
		if f.ctx.Err() == nil {
			f.st.dialError(cause(err), err)
		}
		return
	}
	raw := conn
	defer raw.Close()
	// Stopping the fleet unblocks every read and write on the connection;
	// the deadline bounds the handshake.
	stop := context.AfterFunc(f.ctx, func() { raw.Close() })
	defer stop()
	_ = conn.SetDeadline(start.Add(f.t.DialTimeout))
	if f.u.Scheme == "https" {
		tc := tls.Client(conn, f.tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			f.failSSE(err)
			return
		}
		conn = tc
	}
	req, err := http.NewRequest(http.MethodGet, f.t.URL, nil)
	if err != nil {
		f.failSSE(err)
		return
	}
	req.Header = f.header(g)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	br := bufio.NewReaderSize(conn, 2048)
	if err := req.Write(conn); err != nil {
		f.failSSE(err)
		return
	}
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		f.failSSE(err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		f.st.rejectedStatus(resp.StatusCode, fmt.Errorf("%s: %s", resp.Status, bodySample(resp.Body)))
		return
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		f.st.dialError("not_event_stream", fmt.Errorf("200 with Content-Type %q", resp.Header.Get("Content-Type")))
		return
	}
	_ = conn.SetDeadline(time.Time{})
	f.st.established.Add(1)
	f.st.connect.record(g, time.Since(start))
	answered()

	body := &sseBody{r: resp.Body, lineStart: true, fleet: f, conn: g, start: start}
	var readErr error
	for ev, err := range sse.Read(body, &sse.ReadConfig{MaxEventSize: 1 << 20}) {
		if err != nil {
			readErr = err
			break
		}
		now := time.Now()
		f.st.messages.Add(1)
		if bad := scanTimestamps([]byte(ev.Data), func(ts int64) { f.st.delivered(g, now, ts) }); bad > 0 {
			f.st.badTS.Add(int64(bad))
		}
	}
	if f.ctx.Err() != nil {
		return // we ended it
	}
	if readErr == nil {
		readErr = body.err // sse.Read hides the end of the stream
	}
	if readErr == nil {
		readErr = io.EOF
	}
	f.st.disconnected(cause(readErr), readErr)
}

func (f *localFleet) failSSE(err error) {
	if f.ctx.Err() == nil {
		f.st.dialError(cause(err), err)
	}
}

// sseBody passes the stream to the parser while noting what the parser
// does not report: comment lines (": keep-alive"), which count as
// keep-alive messages, the arrival of the first bytes of the stream (its
// first message, usually the retry: field) and how the stream ended.
type sseBody struct {
	r         io.Reader
	lineStart bool
	got       bool
	err       error
	fleet     *localFleet
	conn      int
	start     time.Time
}

func (b *sseBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		st := b.fleet.st
		if !b.got {
			b.got = true
			st.withMessage.Add(1)
			st.firstMessage.record(b.conn, time.Since(b.start))
		}
		for _, c := range p[:n] {
			if b.lineStart && c == ':' {
				st.keepAlives.Add(1)
				st.messages.Add(1)
			}
			b.lineStart = c == '\n' || c == '\r'
		}
	}
	if err != nil {
		b.err = err
	}
	return n, err
}
