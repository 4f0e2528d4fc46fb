package tail

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evtctl/evtctl/pkg/proto"
)

// CloseSlowConsumer is the close code of a stream the server dropped
// because the client fell behind (docs/contract.md#slow-consumers).
const CloseSlowConsumer = 4008

// runWS follows one WebSocket source until ctx ends or a permanent error.
func runWS(ctx context.Context, s Spec, opts Options, e *emitter) error {
	bo := opts.Backoff.start()
	after := s.After
	for {
		e.status(Status{Kind: Connecting, Resume: after})
		u := *s.URL
		if after != "" {
			q := u.Query()
			q.Set("after", after)
			u.RawQuery = q.Encode()
		}
		conn, resp, err := opts.Dialer.DialContext(ctx, u.String(), headerFor(s, opts))
		if ctx.Err() != nil {
			if conn != nil {
				conn.Close()
			}
			return nil
		}
		var wait time.Duration
		if err != nil {
			if resp == nil {
				wait = bo.wait()
				e.status(Status{Kind: Disconnected, Err: err, RetryIn: wait, Resume: after})
			} else {
				se := statusError(s.Name, resp)
				switch {
				case se.Status == http.StatusNotFound && after != "" && s.ResumeAfter:
					// The composite to resume after is gone (retention):
					// say so and continue live.
					e.status(Status{Kind: Gap, Note: fmt.Sprintf("cannot resume after %s (%s); continuing with new events only", after, se.Message)})
					after = ""
					continue
				case !se.Temporary():
					e.status(Status{Kind: Failed, Err: se})
					return se
				}
				wait = max(bo.wait(), se.RetryAfter)
				e.status(Status{Kind: Disconnected, Err: se, RetryIn: wait, Resume: after})
			}
			if !sleep(ctx, wait) {
				return nil
			}
			continue
		}
		bo.reset()
		e.status(Status{Kind: Connected})
		err = readWS(ctx, conn, s, opts, e, &after)
		conn.Close()
		if ctx.Err() != nil {
			return nil
		}
		wait = bo.wait()
		e.status(Status{Kind: Disconnected, Err: describeClose(err), RetryIn: wait, Resume: after})
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

// readWS reads messages until the connection fails or ctx ends, updating
// *after with each composite's id. A pinger keeps a read deadline moving so
// that a silently dead peer is noticed.
func readWS(ctx context.Context, conn *websocket.Conn, s Spec, opts Options, e *emitter, after *string) error {
	deadline := func() { _ = conn.SetReadDeadline(time.Now().Add(3 * opts.PingInterval)) }
	deadline()
	conn.SetPongHandler(func(string) error { deadline(); return nil })
	conn.SetReadLimit(16 << 20)

	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(opts.PingInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				// Unblocks the read below; WriteControl may run
				// concurrently with the reader.
				_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
				_ = conn.SetReadDeadline(time.Now())
				return
			case <-done:
				return
			case <-t.C:
				_ = conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second))
			}
		}
	}()

	for {
		typ, data, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		deadline()
		if typ != websocket.TextMessage && typ != websocket.BinaryMessage {
			continue
		}
		switch string(data) {
		case "hello":
			e.status(Status{Kind: Hello})
			continue
		case "":
			e.status(Status{Kind: KeepAlive})
			continue
		}
		it := newItem(s.Name, s.Family, "", data, time.Now())
		if s.ResumeAfter && it.Family == proto.FamilyComposite && it.Cursor != "" {
			*after = it.Cursor
		}
		e.item(it)
	}
}

// describeClose turns a read error into a short reason.
func describeClose(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		switch ce.Code {
		case CloseSlowConsumer:
			return fmt.Errorf("the server dropped this stream because it fell behind (close %d)", ce.Code)
		case websocket.CloseGoingAway:
			return fmt.Errorf("the server is going away (close %d)", ce.Code)
		}
		if ce.Text != "" {
			return fmt.Errorf("closed by the server: %d %s", ce.Code, ce.Text)
		}
		return fmt.Errorf("closed by the server (close %d)", ce.Code)
	}
	return err
}
