package webhook

import (
	"context"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/evtctl/evtctl/internal/webhook/ssrf"
)

// Server-side request forgery protection. The check runs in the dialer's
// Control hook, that is on the address actually being connected to, after
// DNS resolution: a name that resolves to 127.0.0.1 (or changes its answer
// between a check and the connect, "DNS rebinding") is caught, and so is
// every address Happy Eyeballs tries. Redirects are not followed, and no
// proxy from the environment is used, so nothing bypasses this hook.
// Addresses are normalised first (zone removed, IPv4-mapped and -compatible
// forms unmapped, NAT64/6to4/Teredo judged by what they embed): package
// ssrf holds the table and the normalisation.

// RefusedError is the error of a connection the guard refused.
type RefusedError = ssrf.RefusedError

// guard decides which addresses webhook requests may connect to.
type guard struct{ g *ssrf.Guard }

func newGuard(allowCIDRs []string) (guard, error) {
	g, err := ssrf.New(allowCIDRs)
	return guard{g}, err
}

// check returns a *RefusedError for a blocked address.
func (g guard) check(a netip.Addr) error { return g.g.Check(a) }

// dialer returns a DialContext for the webhook transport.
func (g guard) dialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.control}
	return d.DialContext
}

// control is the net.Dialer hook; address is the resolved ip:port.
func (g guard) control(network, address string, c syscall.RawConn) error {
	return g.g.Control(network, address, c)
}
