// Package testnet hands tests loopback ports they must know before a
// server binds them: NATS route and leaf ports, a gateway's --listen
// address, a server restarted on the same port.
//
// Asking the kernel for port 0 and closing the listener is not enough: the
// kernel gives the same ephemeral range to every other test process running
// at the same time (go test runs packages in parallel), so the port can be
// taken again before the server binds it. Ports here come from below the
// default ephemeral range (32768–60999 on Linux), which the kernel never
// hands out on its own, and one process never gets the same port twice.
package testnet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
)

const (
	low  = 20000
	high = 32768 // start of Linux's default ephemeral range
)

var (
	mu     sync.Mutex
	issued = map[int]bool{}
)

// Pick returns a free loopback TCP port, or an error when none is left.
func Pick() (int, error) {
	mu.Lock()
	defer mu.Unlock()
	for range 1000 {
		p := low + rand.IntN(high-low)
		if issued[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		issued[p] = true
		return p, nil
	}
	return 0, errors.New("testnet: no free loopback port")
}

// Port returns a free loopback TCP port; it fails the test if none is left.
func Port(t testing.TB) int {
	t.Helper()
	p, err := Pick()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Addr returns a free loopback address, "127.0.0.1:port".
func Addr(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", Port(t))
}
