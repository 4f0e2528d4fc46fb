package stream_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/hub"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

// A WebSocket client that stops reading until its queue overflows, then
// reads, finds every frame it was sent intact and then close code 4008:
// the write the slow consumer's writer was stuck in is cut short, the frame
// it was in the middle of is finished and the close frame follows, while
// the client's socket can take it (here: the client resumes reading within
// the second the gateway waits for it).
func TestSlowConsumerSeesCloseCode4008(t *testing.T) {
	testSlowConsumerClose(t, hub.ReasonSlowConsumer, func(c *config.Config) { c.Limits.QueueMessages, c.Limits.QueueBytes = 32, 1<<20 })
}

// The same for a client whose socket stays full for ws.write_timeout
// before its (large) queue fills: it is a slow consumer too and sees 4008
// (it used to get no close frame at all).
func TestWriteTimeoutSeesCloseCode4008(t *testing.T) {
	testSlowConsumerClose(t, hub.ReasonWriteTimeout, func(c *config.Config) { c.WS.WriteTimeout = 300 * time.Millisecond })
}

func testSlowConsumerClose(t *testing.T, reason string, opt func(*config.Config)) {
	e := start(t, opt)
	r := e.NewKey("acme", proto.ScopeEventsRead)
	ctx := context.Background()
	servertest.WebSocketEndpoint(t, e.eps, "ep-slow", "acme")

	for _, tc := range []struct{ name, path string }{
		{"composite", "/api/v1/ws/composite-events"},
		{"endpoint", "/event-service/ws?endpoint_id=ep-slow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialWS(t, wsURL(e.Harness, tc.path), r)
			transport := "ws_" + tc.name // the metrics label of the kind
			mine := func(s *hub.Session) bool { return s.Subscription().Kind.Name == transport }
			testkit.Eventually(t, 10*time.Second, "the session in the hub", func() bool { return len(e.svc.Hub().Sessions(mine)) == 1 })
			disconnects := func() float64 {
				return testutil.ToFloat64(e.Server.Metrics().StreamDisconnects.WithLabelValues(transport, reason))
			}
			before := disconnects()
			dropped := func() bool {
				ss := e.svc.Hub().Sessions(mine)
				if len(ss) == 0 {
					return true // it ended between two looks: the metric says why, below
				}
				switch r := ss[0].Reason(); r {
				case "":
					return false
				case reason:
					return true
				default:
					t.Fatalf("session ended for %q, want %q", r, reason)
				}
				return false
			}
			// The client reads nothing while events are pushed, 16 of 4 KB
			// at a time (half the queue, so that a writer that keeps up
			// never overflows): first the socket buffers fill, then the
			// queue, and the gateway gives up on the client.
			pad := strings.Repeat("x", 4000)
			for b := 0; !dropped(); b++ {
				if b == 2000 {
					t.Fatal("no overflow after 128 MB")
				}
				var entries []store.Entry
				for i := range 16 {
					id := fmt.Sprintf("%s-%d-%d", tc.name, b, i)
					entries = append(entries, store.Entry{Address: store.CompositeAddress("acme", id), ID: id,
						Data: []byte(fmt.Sprintf(`{"id":%q,"pad":%q}`, id, pad))})
				}
				if _, err := e.Server.Log().Append(ctx, entries); err != nil {
					t.Fatal(err)
				}
				time.Sleep(2 * time.Millisecond) // let the writer catch up while it can
			}
			// Now it reads: whole messages, then the close frame.
			n := 0
			for {
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, m, err := c.ReadMessage()
				if err == nil {
					if len(m) > 0 && m[0] == '{' && !strings.HasSuffix(string(m), `"}`) {
						t.Fatalf("message %d is cut: ...%q", n, m[max(0, len(m)-20):])
					}
					n++
					continue
				}
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != 4008 || !strings.Contains(ce.Text, "slow consumer") {
					t.Fatalf("after %d messages: %v, want close 4008 (slow consumer)", n, err)
				}
				break
			}
			testkit.Eventually(t, 10*time.Second, "the disconnect to be counted", func() bool { return disconnects() > before })
			// More than the queue holds: the socket buffers were full
			// when the gateway gave up, and the close frame still came.
			if n < 256 {
				t.Fatalf("only %d messages before the close frame", n)
			}
			t.Logf("%d messages, then close 4008", n)
		})
	}
}
