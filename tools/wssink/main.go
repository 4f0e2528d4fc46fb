//go:build linux

// Command wssink accepts WebSocket connections and holds them, reading and
// discarding whatever arrives. It exists to measure the load client's own
// capacity (evtctl loadtest holding 50,000 connections): no single server
// process may hold that many here (20,000 open files per process), so
// several sinks share one port with SO_REUSEPORT and the kernel spreads
// the connections over them.
//
//	go run ./tools/wssink -addr 127.0.0.1:18190 &   # three times
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/unix"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18190", "listen address (shared with other sinks through SO_REUSEPORT)")
	flag.Parse()

	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	var open atomic.Int64
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }, ReadBufferSize: 256, WriteBufferSize: 256}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		open.Add(1)
		go func() {
			defer open.Add(-1)
			defer c.Close()
			for {
				if _, _, err := c.NextReader(); err != nil {
					return
				}
			}
		}()
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			fmt.Printf("pid %d held %d connections at the end\n", os.Getpid(), open.Load())
			return
		case <-t.C:
			fmt.Fprintf(os.Stderr, "pid %d: %d connections\n", os.Getpid(), open.Load())
		}
	}
}
