// Command stallclient is a stalled WebSocket subscriber for measurements:
// it completes the handshake on a socket with a tiny receive buffer and then
// never reads, so the server's kernel send buffer fills and the server's
// own slow-consumer handling (write deadline, queue limit) must deal with
// it. docs/performance.md uses it to check that one stalled subscriber does
// not delay the others. The server's disconnect metric tells how it ended.
//
//	go run ./tools/stallclient -addr 127.0.0.1:18177 -token $TOKEN -hold 45s
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8100", "gateway host:port")
	path := flag.String("path", "/api/v1/ws/composite-events", "WebSocket path")
	token := flag.String("token", "", "bearer token")
	hold := flag.Duration("hold", time.Minute, "how long to stay connected without reading")
	flag.Parse()
	if err := run(*addr, *path, *token, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "stallclient:", err)
		os.Exit(1)
	}
}

func run(addr, path, token string, hold time.Duration) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	// Set before any data arrives so the advertised window stays small.
	if err := c.(*net.TCPConn).SetReadBuffer(4096); err != nil {
		return err
	}
	req, err := http.NewRequest("GET", "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Sec-WebSocket-Version", "13")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if err := req.Write(c); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("handshake answered %s", resp.Status)
	}
	fmt.Fprintln(os.Stderr, "stallclient: connected; not reading for", hold)
	time.Sleep(hold)
	return nil
}
