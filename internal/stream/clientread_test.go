package stream_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/stream"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

// What clients send on the streams is read by the poller while they are
// idle, or by a reader goroutine where there is no poller: every test
// here runs both ways, on raw sockets, with frames written by hand.

// readModes runs f with the poller (Linux) and with reader goroutines.
func readModes(t *testing.T, f func(t *testing.T, e *env)) {
	t.Run("poller", func(t *testing.T) {
		e := start(t)
		if stream.Watched(e.svc) < 0 {
			if runtime.GOOS == "linux" {
				t.Fatal("no poller on Linux")
			}
		}
		f(t, e)
	})
	t.Run("goroutine", func(t *testing.T) {
		e := start(t)
		stream.WithoutPoller(e.svc)
		f(t, e)
	})
}

// wsClient is a WebSocket client on a raw socket.
type wsClient struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

// openWS upgrades a raw connection to path; endpoint WebSockets need no
// token. early is sent in the same write as the request.
func openWS(t *testing.T, h *servertest.Harness, path, token string, early ...byte) *wsClient {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	if token != "" {
		req += "Authorization: Bearer " + token + "\r\n"
	}
	if _, err := conn.Write(append([]byte(req+"\r\n"), early...)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	if head := readUntilBlank(t, br); !strings.HasPrefix(head, "HTTP/1.1 101") {
		t.Fatalf("upgrade: %q", head)
	}
	return &wsClient{t: t, conn: conn, br: br}
}

// frame encodes a client frame: fin, rsv bits (0x70), opcode, payload
// masked with a fixed key unless unmasked.
func frame(fin bool, rsv, op byte, payload []byte, unmasked bool) []byte {
	b0 := rsv | op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	mask := byte(0x80)
	if unmasked {
		mask = 0
	}
	switch n := len(payload); {
	case n < 126:
		out = append(out, mask|byte(n))
	case n <= 0xFFFF:
		out = append(out, mask|126, byte(n>>8), byte(n))
	default:
		out = append(out, mask|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if unmasked {
		return append(out, payload...)
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i&3])
	}
	return out
}

func ping(p string) []byte { return frame(true, 0, 0x9, []byte(p), false) }

func closeFrame(code int, text string) []byte {
	p := binary.BigEndian.AppendUint16(nil, uint16(code))
	return frame(true, 0, 0x8, append(p, text...), false)
}

func (c *wsClient) send(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// next reads the next server frame that is not a text message (hello,
// keep-alives, events).
func (c *wsClient) next() (op byte, payload []byte) {
	c.t.Helper()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var h [2]byte
		if _, err := io.ReadFull(c.br, h[:]); err != nil {
			c.t.Fatalf("read frame: %v", err)
		}
		if h[1]&0x80 != 0 {
			c.t.Fatal("server frame masked")
		}
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			_, _ = io.ReadFull(c.br, l[:])
			n = int(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			_, _ = io.ReadFull(c.br, l[:])
			n = int(binary.BigEndian.Uint64(l[:]))
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(c.br, p); err != nil {
			c.t.Fatalf("read payload: %v", err)
		}
		if op := h[0] & 0x0f; op != 0x1 {
			return op, p
		}
	}
}

func (c *wsClient) wantPong(p string) {
	c.t.Helper()
	op, got := c.next()
	if op != 0xA || string(got) != p {
		c.t.Fatalf("got opcode %#x %q, want pong %q", op, got, p)
	}
}

// wantClose reads the server's close frame and then the end of the
// connection.
func (c *wsClient) wantClose(code int, reason string) {
	c.t.Helper()
	op, p := c.next()
	if op != 0x8 || len(p) < 2 {
		c.t.Fatalf("got opcode %#x %q, want a close frame", op, p)
	}
	if got := int(binary.BigEndian.Uint16(p)); got != code || string(p[2:]) != reason {
		c.t.Fatalf("close %d %q, want %d %q", got, p[2:], code, reason)
	}
	// Closed: EOF, or a reset when the server closed with bytes of the
	// client's unread (a message over the limit).
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := io.Copy(io.Discard, c.br); n != 0 || err != nil && !errors.Is(err, syscall.ECONNRESET) {
		c.t.Fatalf("after the close frame: %d bytes, %v; want the connection closed", n, err)
	}
}

// wsRoutes are the two WebSocket routes, opened on e.
func wsRoutes(t *testing.T, e *env) map[string]func(t *testing.T) *wsClient {
	acme := e.NewKey("acme", proto.ScopeEventsRead)
	servertest.WebSocketEndpoint(t, e.eps, "ep-read", "acme")
	return map[string]func(t *testing.T) *wsClient{
		"composite": func(t *testing.T) *wsClient { return openWS(t, e.Harness, "/api/v1/ws/composite-events", acme) },
		"endpoint":  func(t *testing.T) *wsClient { return openWS(t, e.Harness, "/event-service/ws?endpoint_id=ep-read", "") },
	}
}

// watched waits until the hub has one session and, with a poller, the
// poller watches its socket.
func watched(t *testing.T, e *env) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, "the session", func() bool { return e.svc.Hub().Count() == 1 })
	testkit.Eventually(t, 10*time.Second, "the socket watched", func() bool {
		n := stream.Watched(e.svc)
		return n == 1 || n == -1
	})
}

// sessionsEnd waits until the hub has no session and, with a poller,
// the poller watches no socket (the session stopped its watch).
func sessionsEnd(t *testing.T, e *env) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, "the session to end", func() bool { return e.svc.Hub().Count() == 0 })
	// The count of watched sockets may lag the hub's by a moment: a
	// client that breaks the protocol at once can be read, closed and
	// ended by the poller before the handler that added its watch has
	// registered the watch's stop, and that handler stops it right after
	// (clientwatch.go). A socket left watched for good fails here.
	testkit.Eventually(t, 10*time.Second, "the watches to stop", func() bool { return stream.Watched(e.svc) <= 0 })
}

func TestWebSocketPingsAnswered(t *testing.T) {
	readModes(t, func(t *testing.T, e *env) {
		for name, open := range wsRoutes(t, e) {
			t.Run(name, func(t *testing.T) {
				c := open(t)
				watched(t, e)
				c.send(ping("p1"))
				c.wantPong("p1")
				// Two pings in one write, then one with no payload.
				c.send(append(ping("p2"), ping("p3")...))
				c.wantPong("p2")
				c.wantPong("p3")
				c.send(ping(""))
				c.wantPong("")
				// A ping cut into single bytes, sent apart: the poller
				// keeps the start of the frame between wake-ups.
				for _, b := range ping("split") {
					c.send([]byte{b})
					time.Sleep(5 * time.Millisecond)
				}
				c.wantPong("split")
				// Data messages are read and dropped, whole or in
				// fragments with a ping between them, across many reads.
				big := make([]byte, 60<<10)
				c.send(append(frame(true, 0, 0x1, big, false), ping("after-big")...))
				c.wantPong("after-big")
				c.send(frame(false, 0, 0x2, big[:1000], false))
				c.send(ping("mid-message"))
				c.wantPong("mid-message")
				c.send(frame(true, 0, 0x0, big[:2000], false))
				c.send(ping("after-fragments"))
				c.wantPong("after-fragments")
				// Pongs from the client are ignored.
				c.send(frame(true, 0, 0xA, []byte("unasked"), false))
				c.send(ping("last"))
				c.wantPong("last")
				c.conn.Close()
				sessionsEnd(t, e)
			})
		}
	})
}

// A ping sent with the handshake, in the same segment, is read from what
// the server's HTTP reader already buffered (a reader goroutine on the
// connection's wrapper), and answered.
func TestWebSocketPingWithHandshake(t *testing.T) {
	readModes(t, func(t *testing.T, e *env) {
		acme := e.NewKey("acme", proto.ScopeEventsRead)
		c := openWS(t, e.Harness, "/api/v1/ws/composite-events", acme, ping("early")...)
		c.wantPong("early")
		if n := stream.Watched(e.svc); n > 0 {
			t.Fatalf("%d sockets watched: the early bytes were not buffered by the server, the test did not test the wrapper", n)
		}
		c.send(ping("later"))
		c.wantPong("later")
		c.send(closeFrame(1000, ""))
		c.wantClose(1000, "")
		sessionsEnd(t, e)
	})
}

func TestWebSocketClientCloseEchoed(t *testing.T) {
	readModes(t, func(t *testing.T, e *env) {
		for name, open := range wsRoutes(t, e) {
			t.Run(name, func(t *testing.T) {
				for _, tc := range []struct {
					frame []byte
					code  int
				}{
					{closeFrame(4001, "bye"), 4001},
					{closeFrame(1001, ""), 1001},
					{frame(true, 0, 0x8, nil, false), 1000}, // no status: a normal closure
				} {
					c := open(t)
					c.send(tc.frame)
					c.wantClose(tc.code, "")
					sessionsEnd(t, e)
				}
			})
		}
	})
}

// A frame that breaks the protocol closes with 1002 and gorilla's reason
// (what the read side answered before it was the poller's); a message
// over 64 KiB with 1009.
func TestWebSocketHostileFramesClose(t *testing.T) {
	big := make([]byte, 64<<10)
	cases := []struct {
		name   string
		frames [][]byte
		code   int
		reason string
	}{
		{"unmasked", [][]byte{frame(true, 0, 0x1, []byte("x"), true)}, 1002, "bad MASK"},
		{"RSV1", [][]byte{frame(true, 0x40, 0x9, nil, false)}, 1002, "RSV1 set"},
		{"RSV2 and RSV3", [][]byte{frame(true, 0x30, 0x1, nil, false)}, 1002, "RSV2 set, RSV3 set"},
		{"opcode 3", [][]byte{frame(true, 0, 0x3, nil, false)}, 1002, "bad opcode 3"},
		{"opcode 11", [][]byte{frame(true, 0, 0xB, nil, false)}, 1002, "bad opcode 11"},
		{"ping of 126 bytes", [][]byte{frame(true, 0, 0x9, make([]byte, 126), false)}, 1002, "len > 125 for control"},
		{"fragmented ping", [][]byte{frame(false, 0, 0x9, nil, false)}, 1002, "FIN not set on control"},
		{"continuation first", [][]byte{frame(true, 0, 0x0, []byte("x"), false)}, 1002, "continuation after FIN"},
		{"message inside a message", [][]byte{frame(false, 0, 0x1, []byte("a"), false), frame(true, 0, 0x1, []byte("b"), false)}, 1002, "data before FIN"},
		{"close code 1005", [][]byte{closeFrame(1005, "")}, 1002, "bad close code 1005"},
		{"close code 2000", [][]byte{closeFrame(2000, "")}, 1002, "bad close code 2000"},
		{"close text not UTF-8", [][]byte{closeFrame(1000, "\xff\xfe")}, 1002, "invalid utf8 payload in close frame"},
		{"message of 64 KiB + 1", [][]byte{frame(true, 0, 0x1, append(big, 'x'), false)}, 1009, ""},
		{"fragments of 64 KiB + 1", [][]byte{frame(false, 0, 0x2, big[:40<<10], false), frame(true, 0, 0x0, big[:24<<10+1], false)}, 1009, ""},
		{"length of 2^63", [][]byte{{0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0}}, 1009, ""},
	}
	readModes(t, func(t *testing.T, e *env) {
		routes := wsRoutes(t, e)
		for _, tc := range cases {
			for name, open := range routes {
				t.Run(tc.name+"/"+name, func(t *testing.T) {
					c := open(t)
					for _, f := range tc.frames {
						c.send(f)
					}
					c.wantClose(tc.code, tc.reason)
					sessionsEnd(t, e)
				})
			}
		}
		// A message of exactly 64 KiB is within the limit.
		c := routes["composite"](t)
		c.send(frame(true, 0, 0x1, big, false))
		c.send(ping("ok"))
		c.wantPong("ok")
	})
}

// An SSE client that leaves ends its session, whether it closes, shuts
// down its sending side or resets; bytes it sends meanwhile are dropped.
func TestSSEClientGoneDetected(t *testing.T) {
	readModes(t, func(t *testing.T, e *env) {
		r := e.NewKey("acme", proto.ScopeDeviceRead)
		w := e.NewKey("acme", proto.ScopeEventsWrite)
		for i, how := range []string{"close", "half-close", "reset"} {
			t.Run(how, func(t *testing.T) {
				br, conn := rawSSE(t, e.Harness, "/api/v1/devices/dev-1/analysis/stream", r)
				readUntilBlank(t, br)
				watched(t, e)
				// Garbage from the client does not end the stream.
				if _, err := conn.Write([]byte("GET / HTTP/1.1\r\n\r\n\xff")); err != nil {
					t.Fatal(err)
				}
				e.Do("POST", "/api/v1/events/analysis", w, "", analysis("dev-1", i))
				if _, id, _ := sseData(t, br); id == "" {
					t.Fatal("no event after the client sent bytes")
				}
				tcp := conn.(*net.TCPConn)
				switch how {
				case "close":
					tcp.Close()
				case "half-close":
					_ = tcp.CloseWrite()
				case "reset":
					_ = tcp.SetLinger(0)
					tcp.Close()
				}
				sessionsEnd(t, e)
			})
		}
	})
}
