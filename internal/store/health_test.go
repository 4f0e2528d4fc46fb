package store_test

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/store/storetest"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/internal/testnet"
)

// A readiness check whose request is lost with a dropped connection does
// not wait out its 2 s for an answer that cannot come: it ends when the
// connection drops (and asks again on the new one once it is back).
func TestHealthyEndsWhenTheConnectionDrops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := storetest.NATSServer(t, &server.Options{Port: testnet.Port(t), JetStream: true, StoreDir: t.TempDir()})
	p := startProxy(t, ns.Addr().String())
	b, err := store.Open(ctx, store.Options{NATSURL: "nats://" + p.addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if err := b.Healthy(ctx); err != nil {
		t.Fatalf("healthy before: %v", err)
	}

	p.drop.Store(true) // what the gateway sends from now on is lost
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- b.Healthy(ctx) }()
	time.Sleep(300 * time.Millisecond)
	p.cut()
	select {
	case err := <-done:
		t.Logf("check ended %v after it began (%v)", time.Since(start), err)
	case <-time.After(1500 * time.Millisecond):
		t.Fatal("the check still waited 1.5 s after it began, with its connection gone")
	}
	testkit.Eventually(t, 10*time.Second, "healthy on the new connection", func() bool { return b.Healthy(ctx) == nil })
}

// proxy forwards TCP connections to a server; drop makes it discard what
// clients send, cut closes every connection open so far (and stops
// dropping).
type proxy struct {
	addr  string
	drop  atomic.Bool
	mu    sync.Mutex
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	p := &proxy{addr: ln.Addr().String()}
	t.Cleanup(p.cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(c, s) }()
			go p.forward(s, c)
		}
	}()
	return p
}

// forward copies from the client to the server, dropping while drop is set.
func (p *proxy) forward(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.drop.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			_ = dst.Close()
			return
		}
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drop.Store(false)
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}
