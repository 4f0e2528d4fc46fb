package stream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/hub"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/stream"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

// sseData reads the next analysis_result of a raw SSE stream and returns
// its id (cursor) and the analysisId and deviceId of its data.
func sseData(t *testing.T, br interface{ ReadString(byte) (string, error) }) (cursor, analysisID, device string) {
	t.Helper()
	for {
		var b strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v (so far %q)", err, b.String())
			}
			if line == "\n" {
				break
			}
			b.WriteString(line)
		}
		ev := b.String()
		if !strings.Contains(ev, "event: analysis_result") {
			continue // retry:, keep-alives
		}
		for _, l := range strings.Split(ev, "\n") {
			switch {
			case strings.HasPrefix(l, "id: "):
				cursor = strings.TrimPrefix(l, "id: ")
			case strings.HasPrefix(l, "data: "):
				var a struct{ AnalysisID, DeviceID string }
				if err := json.Unmarshal([]byte(strings.TrimPrefix(l, "data: ")), &a); err != nil {
					t.Fatal(err)
				}
				analysisID, device = a.AnalysisID, a.DeviceID
			}
		}
		return cursor, analysisID, device
	}
}

// A wall of cameras: the all-devices stream follows two devices of three
// (repeated and comma-separated device_id), resumes across the set with
// Last-Event-ID, and refuses too many devices, bad ids and another
// tenant's device.
func TestAnalysisStreamDeviceSubset(t *testing.T) {
	e := start(t)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	r := e.NewKey("acme", proto.ScopeDeviceRead)
	ow := e.NewKey("other", proto.ScopeEventsWrite)
	post := func(key, device string, n int) {
		t.Helper()
		if resp := e.Do("POST", "/api/v1/events/analysis", key, "", analysis(device, n)); resp.Status != 202 {
			t.Fatalf("ingest: %d", resp.Status)
		}
	}
	post(ow, "theirs", 0)

	for n, q := range []string{"device_id=cam-1&device_id=cam-2", "device_id=cam-1,cam-2", "device_id=cam-2&device_id=cam-1,cam-2"} {
		t.Run(q, func(t *testing.T) {
			br, conn := rawSSE(t, e.Harness, "/api/v1/devices/analysis/stream/all?"+q, r)
			readUntilBlank(t, br) // head
			testkit.Eventually(t, 10*time.Second, "the session", func() bool { return e.svc.Hub().Count() == 1 })
			base := 100 * (n + 1)
			for i, d := range []string{"cam-3", "cam-1", "cam-3", "cam-2", "cam-3", "cam-1"} {
				post(w, d, base+i)
			}
			var got []string
			var cursors []string
			for range 3 {
				c, id, dev := sseData(t, br)
				got, cursors = append(got, dev+"/"+id), append(cursors, c)
			}
			want := []string{fmt.Sprintf("cam-1/a-%d", base+1), fmt.Sprintf("cam-2/a-%d", base+3), fmt.Sprintf("cam-1/a-%d", base+5)}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("got %v, want %v", got, want)
			}
			conn.Close()
			testkit.Eventually(t, 10*time.Second, "the session to end", func() bool { return e.svc.Hub().Count() == 0 })

			// Resume after the first across the set: the other two again,
			// then live ones, still none of cam-3.
			br, conn = rawSSE(t, e.Harness, "/api/v1/devices/analysis/stream/all?"+q, r, "Last-Event-ID: "+cursors[0])
			readUntilBlank(t, br)
			post(w, "cam-3", base+6)
			post(w, "cam-2", base+7)
			got = got[:0]
			for range 3 {
				_, id, dev := sseData(t, br)
				got = append(got, dev+"/"+id)
			}
			want = []string{want[1], want[2], fmt.Sprintf("cam-2/a-%d", base+7)}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("resumed: got %v, want %v", got, want)
			}
			conn.Close()
			testkit.Eventually(t, 10*time.Second, "the session to end", func() bool { return e.svc.Hub().Count() == 0 })
		})
	}

	many := make([]string, stream.MaxStreamDevices+1)
	for i := range many {
		many[i] = "device_id=cam-" + strconv.Itoa(i)
	}
	for _, tc := range []struct {
		q      string
		status int
	}{
		{strings.Join(many, "&"), 400},
		{strings.Join(many[:stream.MaxStreamDevices], "&"), 200},
		{"device_id=cam-1&device_id=", 400},
		{"device_id=" + url.QueryEscape("cam\x01"), 400},
		{"device_id=cam-1&device_id=theirs", 404}, // another tenant's: not disclosed
	} {
		if tc.status == 200 {
			continue // a stream that opens is checked raw below
		}
		resp := e.Do("GET", "/api/v1/devices/analysis/stream/all?"+tc.q, r, "", nil)
		if resp.Status != tc.status {
			t.Fatalf("%.60s: %d, want %d", tc.q, resp.Status, tc.status)
		}
	}
	br, _ := rawSSE(t, e.Harness, "/api/v1/devices/analysis/stream/all?"+strings.Join(many[:stream.MaxStreamDevices], "&"), r)
	if head := readUntilBlank(t, br); !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("100 devices: %q", head)
	}
}

// endpointEvent appends n composites of acme (which pass an endpoint
// without filters) and returns their positions.
func endpointEvents(t *testing.T, e *env, prefix string, from, to int) []uint64 {
	t.Helper()
	var entries []store.Entry
	for i := from; i < to; i++ {
		id := prefix + strconv.Itoa(i)
		entries = append(entries, store.Entry{Address: store.CompositeAddress("acme", id), ID: id, Data: composite(id)})
	}
	res, err := e.Server.Log().Append(context.Background(), entries)
	if err != nil {
		t.Fatal(err)
	}
	return res.Seqs
}

// readIDs reads n composites' ids from an endpoint socket.
func readIDs(t *testing.T, c *websocket.Conn, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		var m struct{ ID string }
		if err := json.Unmarshal([]byte(nextEvent(t, c)), &m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

func seqIDs(prefix string, from, to int) []string {
	var ids []string
	for i := from; i < to; i++ {
		ids = append(ids, prefix+strconv.Itoa(i))
	}
	return ids
}

func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// noMore checks that a socket receives nothing more for a moment.
func noMore(t *testing.T, c *websocket.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		_, m, err := c.ReadMessage()
		if err != nil {
			return
		}
		if len(m) > 0 {
			t.Fatalf("unexpected message %s", m)
		}
	}
}

func endpointSessions(e *env) int {
	return len(e.svc.Hub().Sessions(func(s *hub.Session) bool { return s.Subscription().Kind.Name == "ws_endpoint" }))
}

// An endpoint socket dropped without a close frame: the next socket of
// the endpoint continues after the last event written to it, with the
// events sent meanwhile first; ?after= and ?from=now choose otherwise.
func TestEndpointWebSocketResumes(t *testing.T) {
	e := start(t)
	servertest.WebSocketEndpoint(t, e.eps, "ep-r", "acme")
	u := wsURL(e.Harness, "/event-service/ws?endpoint_id=ep-r")

	// A first socket starts from now: nothing of the past.
	endpointEvents(t, e, "old-", 0, 2)
	c := dialWS(t, u, "")
	testkit.Eventually(t, 10*time.Second, "the session", func() bool { return endpointSessions(e) == 1 })
	seqs := endpointEvents(t, e, "e-", 0, 3)
	sameIDs(t, "first socket", readIDs(t, c, 3), seqIDs("e-", 0, 3))
	_ = c.NetConn().Close() // dropped: no close frame
	testkit.Eventually(t, 10*time.Second, "the session to end", func() bool { return endpointSessions(e) == 0 })

	endpointEvents(t, e, "e-", 3, 6) // while no socket is open
	c = dialWS(t, u, "")
	endpointEvents(t, e, "e-", 6, 8)
	sameIDs(t, "resumed", readIDs(t, c, 5), seqIDs("e-", 3, 8))
	noMore(t, c)
	c.Close()
	testkit.Eventually(t, 10*time.Second, "the session to end", func() bool { return endpointSessions(e) == 0 })

	// ?after=<cursor>: right after that event, whatever was remembered.
	c = dialWS(t, u+"&after="+strconv.FormatUint(seqs[0], 10), "")
	sameIDs(t, "after", readIDs(t, c, 7), seqIDs("e-", 1, 8))
	noMore(t, c)
	c.Close()

	// ?from=now: only what comes next.
	last := endpointEvents(t, e, "e-", 8, 10)[1]
	testkit.Eventually(t, 10*time.Second, "the hub to dispatch them", func() bool { return e.svc.Hub().LastSeq() >= last })
	c = dialWS(t, u+"&from=now", "")
	testkit.Eventually(t, 10*time.Second, "the session", func() bool { return endpointSessions(e) == 1 })
	endpointEvents(t, e, "e-", 10, 11)
	sameIDs(t, "from now", readIDs(t, c, 1), seqIDs("e-", 10, 11))
	c.Close()

	for _, q := range []string{"&from=then", "&after=x", "&after=0", "&after=5&from=now"} {
		if r := e.Do("GET", "/event-service/ws?endpoint_id=ep-r"+q, "", "", nil); r.Status != 400 {
			t.Fatalf("%s: %d, want 400", q, r.Status)
		}
	}
}

// Several sockets of one endpoint each get every event (fan-out); the
// endpoint's position is the furthest any of them wrote, so a socket
// opened after they all ended continues from there.
func TestEndpointWebSocketSeveralSockets(t *testing.T) {
	e := start(t)
	servertest.WebSocketEndpoint(t, e.eps, "ep-m", "acme")
	u := wsURL(e.Harness, "/event-service/ws?endpoint_id=ep-m")
	a := dialWS(t, u+"&from=now", "")
	b := dialWS(t, u+"&from=now", "")
	testkit.Eventually(t, 10*time.Second, "two sessions", func() bool { return endpointSessions(e) == 2 })
	endpointEvents(t, e, "m-", 0, 4)
	sameIDs(t, "socket a", readIDs(t, a, 4), seqIDs("m-", 0, 4))
	sameIDs(t, "socket b", readIDs(t, b, 4), seqIDs("m-", 0, 4))
	a.Close()
	testkit.Eventually(t, 10*time.Second, "one session", func() bool { return endpointSessions(e) == 1 })
	endpointEvents(t, e, "m-", 4, 6)
	sameIDs(t, "socket b alone", readIDs(t, b, 2), seqIDs("m-", 4, 6))
	// A socket opened while b is live starts after the furthest written
	// (by b), and gets the next ones too. (b's writer records a write when
	// it returns, which may be just after b read it: c may begin with one
	// write's worth b had, at least once.)
	c := dialWS(t, u, "")
	testkit.Eventually(t, 10*time.Second, "two sessions", func() bool { return endpointSessions(e) == 2 })
	endpointEvents(t, e, "m-", 6, 7)
	var got []string
	for len(got) == 0 || got[len(got)-1] != "m-6" {
		got = append(got, readIDs(t, c, 1)...)
	}
	if len(got) > 1 {
		sameIDs(t, "socket c (again what b had last)", got, seqIDs("m-", 7-len(got), 7))
		if len(got) > 3 {
			t.Fatalf("socket c began %d events back", len(got)-1)
		}
	}
	sameIDs(t, "socket b", readIDs(t, b, 1), seqIDs("m-", 6, 7))
	b.Close()
	c.Close()
	testkit.Eventually(t, 10*time.Second, "no session", func() bool { return endpointSessions(e) == 0 })
	endpointEvents(t, e, "m-", 7, 9)
	d := dialWS(t, u, "")
	sameIDs(t, "after both", readIDs(t, d, 2), seqIDs("m-", 7, 9))
	noMore(t, d)
}

// A slow endpoint consumer closed with 4008 reconnects and loses nothing:
// the new socket starts after the last event written in full to the old
// one, so at most the frames of the write cut short come again.
func TestEndpointWebSocketResumesAfterSlowConsumerClose(t *testing.T) {
	const queue = 32
	e := start(t, func(c *config.Config) { c.Limits.QueueMessages, c.Limits.QueueBytes = queue, 1<<20 })
	servertest.WebSocketEndpoint(t, e.eps, "ep-s", "acme")
	u := wsURL(e.Harness, "/event-service/ws?endpoint_id=ep-s")
	c := dialWS(t, u, "")
	testkit.Eventually(t, 10*time.Second, "the session", func() bool { return endpointSessions(e) == 1 })

	pad := strings.Repeat("x", 4000)
	total := 0
	// Until the gateway gives up on the client (it then still writes the
	// close frame for a second, which the client reads below).
	closing := func() bool {
		ss := e.svc.Hub().Sessions(func(s *hub.Session) bool { return s.Subscription().Kind.Name == "ws_endpoint" })
		return len(ss) == 0 || ss[0].Reason() != ""
	}
	for b := 0; !closing(); b++ {
		if b == 2000 {
			t.Fatal("no overflow after 128 MB")
		}
		var entries []store.Entry
		for range 16 {
			id := "s-" + strconv.Itoa(total)
			total++
			entries = append(entries, store.Entry{Address: store.CompositeAddress("acme", id), ID: id,
				Data: []byte(fmt.Sprintf(`{"id":%q,"pad":%q}`, id, pad))})
		}
		if _, err := e.Server.Log().Append(context.Background(), entries); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	var first []string
	for {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, m, err := c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != 4008 {
				t.Fatalf("after %d messages: %v, want close 4008", len(first), err)
			}
			break
		}
		var msg struct{ ID string }
		if err := json.Unmarshal(m, &msg); err != nil {
			t.Fatalf("message %d: %v", len(first), err)
		}
		first = append(first, msg.ID)
	}
	sameIDs(t, "before the close", first, seqIDs("s-", 0, len(first)))

	c2 := dialWS(t, u, "")
	var m struct{ ID string }
	if err := json.Unmarshal([]byte(nextEvent(t, c2)), &m); err != nil {
		t.Fatal(err)
	}
	start, _ := strconv.Atoi(strings.TrimPrefix(m.ID, "s-"))
	if start > len(first) {
		t.Fatalf("resumed at %s after %d received: events lost", m.ID, len(first))
	}
	if dup := len(first) - start; dup > queue {
		t.Fatalf("%d events again, more than one write's worth", dup)
	}
	rest := append([]string{m.ID}, readIDs(t, c2, total-start-1)...)
	sameIDs(t, "resumed", rest, seqIDs("s-", start, total))
	t.Logf("%d received before 4008, resumed at %d (%d again) of %d", len(first), start, len(first)-start, total)
}
