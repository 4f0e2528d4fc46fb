package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

var readBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// runWS holds WebSocket connection g until the fleet stops or the server
// ends it. answered is called once the handshake has an outcome.
func (f *localFleet) runWS(g int, answered func()) {
	start := time.Now()
	c, resp, err := f.wsDialers[g%len(f.wsDialers)].DialContext(f.ctx, f.t.URL, f.header(g))
	if err != nil {
		switch {
		case f.ctx.Err() != nil:
			// Stopped during the handshake: not an outcome of the server.
		case resp != nil && errors.Is(err, websocket.ErrBadHandshake):
			f.st.rejectedStatus(resp.StatusCode, fmt.Errorf("%s: %s", resp.Status, bodySample(resp.Body)))
		default:
			f.st.dialError(cause(err), err)
		}
		return
	}
	if f.t.FirstMessage != "" {
		if err := c.WriteMessage(websocket.TextMessage, []byte(f.t.FirstMessage)); err != nil {
			c.Close()
			f.st.dialError(cause(err), err)
			return
		}
	}
	f.st.established.Add(1)
	f.st.connect.record(g, time.Since(start))
	answered()

	stop := context.AfterFunc(f.ctx, func() {
		// Close and WriteControl may run concurrently with the reader.
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		c.Close()
	})
	defer stop()
	defer c.Close()
	got := false
	for {
		typ, r, err := c.NextReader()
		var buf *bytes.Buffer
		if err == nil {
			buf = readBuffers.Get().(*bytes.Buffer)
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			if f.ctx.Err() == nil {
				f.st.disconnected(cause(err), err)
			}
			return
		}
		now := time.Now()
		f.st.messages.Add(1)
		if !got {
			got = true
			f.st.withMessage.Add(1)
			f.st.firstMessage.record(g, now.Sub(start))
		}
		switch {
		case typ != websocket.TextMessage:
		case buf.Len() == 0:
			f.st.keepAlives.Add(1) // the empty keep-alive of docs/sources.md#composite-ws-protocol
		default:
			// "hello" and other messages without ts_ns are not deliveries.
			if bad := scanTimestamps(buf.Bytes(), func(ts int64) { f.st.delivered(g, now, ts) }); bad > 0 {
				f.st.badTS.Add(int64(bad))
			}
		}
		if buf.Cap() <= 64<<10 {
			readBuffers.Put(buf)
		}
	}
}

// bodySample is the start of an error response, for the report's samples.
func bodySample(r io.Reader) string {
	if r == nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(r, 300))
	return string(bytes.TrimSpace(b))
}
