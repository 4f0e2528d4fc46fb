package webhook

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// Server-side request forgery protection. The check runs in the dialer's
// Control hook, that is on the address actually being connected to, after
// DNS resolution: a name that resolves to 127.0.0.1 (or changes its answer
// between a check and the connect, "DNS rebinding") is caught, and so is
// every address Happy Eyeballs tries. Redirects are not followed, and no
// proxy from the environment is used, so nothing bypasses this hook.

// blockedRanges are refused unless webhooks.allow_cidrs lists them.
var blockedRanges = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a 'this network' address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.169.254/32"), "the cloud metadata service"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 address (reaches IPv4 ranges)"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "the cloud metadata service"},
	{netip.MustParsePrefix("fc00::/7"), "a private (unique local) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

// RefusedError is the error of a connection the guard refused.
type RefusedError struct {
	Addr netip.Addr
	Why  string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to connect to %s: %s (list it in webhooks.allow_cidrs to allow it)", e.Addr, e.Why)
}

// guard decides which addresses webhook requests may connect to.
type guard struct{ allow []netip.Prefix }

func newGuard(allowCIDRs []string) (guard, error) {
	var g guard
	for _, c := range allowCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return g, fmt.Errorf("webhooks.allow_cidrs: %w", err)
		}
		g.allow = append(g.allow, p.Masked())
	}
	return g, nil
}

// check returns a *RefusedError for a blocked address.
func (g guard) check(a netip.Addr) error {
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	for _, p := range g.allow {
		if p.Contains(a) {
			return nil
		}
	}
	for _, b := range blockedRanges {
		if b.prefix.Contains(a) {
			return &RefusedError{Addr: a, Why: b.why}
		}
	}
	return nil
}

// control is the net.Dialer hook; address is the resolved ip:port.
func (g guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Why: "not an IP address: " + address}
	}
	return g.check(ap.Addr())
}

// dialer returns a DialContext for the webhook transport.
func (g guard) dialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.control}
	return d.DialContext
}
