package stream_test

import (
	"io"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

func init() { runtime.MemProfileRate = 1 }

func TestZZHeap(t *testing.T) {
	route := os.Getenv("ZZROUTE")
	if route == "" {
		t.Skip()
	}
	e := start(t, func(c *config.Config) { c.Limits.SSEPerUser, c.Limits.WSPerUser, c.Limits.ConnectRate = 5000, 5000, 0 })
	acme := e.NewKey("acme", proto.ScopeEventsRead)
	servertest.WebSocketEndpoint(t, e.eps, "ep-h", "acme")
	const n = 2000
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.Harness.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		var req string
		switch route {
		case "composite":
			req = "GET /api/v1/ws/composite-events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer " + acme + "\r\n\r\n"
		case "endpoint":
			req = "GET /event-service/ws?endpoint_id=ep-h HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
		case "sse":
			req = "GET /api/v1/devices/analysis/stream/all HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: Bearer " + e.NewKey("acme", proto.ScopeDeviceRead) + "\r\n\r\n"
		}
		io.WriteString(conn, req)
		conns = append(conns, conn)
	}
	testkit.Eventually(t, 60*time.Second, "sessions", func() bool { return e.svc.Hub().Count() == n })
	time.Sleep(time.Second)
	runtime.GC()
	runtime.GC()
	f, _ := os.Create("/tmp/i18prof/heap-" + route + ".pb.gz")
	pprof.Lookup("heap").WriteTo(f, 0)
	f.Close()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("heap_alloc %d objects %d", ms.HeapAlloc, ms.HeapObjects)
	for _, c := range conns {
		c.Close()
	}
}
