package hub

import (
	"io"
	"net"
	"sync"
	"testing"
)

// The fan-out benchmarks deliver one 300-byte frame to 5,000 loopback TCP
// clients read by goroutines in the same process; one op is one event,
// complete when every client has read it, so ns/op is the time the last
// subscriber waits (the fan-out's p100) with server and clients on the same
// CPUs. BenchmarkLoopbackWrites5000 is the floor: the same frame written
// with plain conn.Write calls, no hub, from one goroutine or split over two.
// They need 10,000 descriptors (ulimit -n).
//
//	go test -run xxx -bench 'Loopback|FanOut' -benchtime 100x ./internal/hub/

const benchClients = 5000

// benchFrame is a WebSocket text frame of a 300-byte payload.
var benchFrame = wsText(make([]byte, 300))

// openBenchClients opens n loopback connections whose client ends are read by
// goroutines that report each complete frame on wg.
func openBenchClients(b *testing.B, n int, wg *sync.WaitGroup) []net.Conn {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	servers := make([]net.Conn, 0, n)
	for range n {
		cli, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			b.Fatalf("dial (raise ulimit -n for %d connections): %v", n, err)
		}
		srv, err := l.Accept()
		if err != nil {
			b.Fatal(err)
		}
		servers = append(servers, srv)
		b.Cleanup(func() { srv.Close(); cli.Close() })
		go func() {
			buf := make([]byte, len(benchFrame))
			for {
				if _, err := io.ReadFull(cli, buf); err != nil {
					return
				}
				wg.Done()
			}
		}()
	}
	return servers
}

func BenchmarkLoopbackWrites5000(b *testing.B) {
	var wg sync.WaitGroup
	conns := openBenchClients(b, benchClients, &wg)
	b.ResetTimer()
	for range b.N {
		wg.Add(len(conns))
		for _, c := range conns {
			if _, err := c.Write(benchFrame); err != nil {
				b.Fatal(err)
			}
		}
		wg.Wait()
	}
}

func BenchmarkFanOut5000(b *testing.B) {
	var wg sync.WaitGroup
	conns := openBenchClients(b, benchClients, &wg)
	h := testHub(roomy)
	for _, c := range conns {
		h.Register(c, acme, false, nil)
	}
	rec := composite(0)
	rec.Data = make([]byte, 300)
	b.ResetTimer()
	for i := range b.N {
		rec.Seq = uint64(i + 1)
		wg.Add(len(conns))
		h.Dispatch(rec)
		wg.Wait()
	}
}

func BenchmarkLoopbackWritesParallel5000(b *testing.B) {
	var wg sync.WaitGroup
	conns := openBenchClients(b, benchClients, &wg)
	half := len(conns) / 2
	b.ResetTimer()
	for range b.N {
		wg.Add(len(conns))
		var writers sync.WaitGroup
		for _, part := range [][]net.Conn{conns[:half], conns[half:]} {
			writers.Go(func() {
				for _, c := range part {
					_, _ = c.Write(benchFrame)
				}
			})
		}
		writers.Wait()
		wg.Wait()
	}
}
