// Package ssrf decides which addresses webhook requests may reach: the
// server-side request forgery guard of the webhook client (at connect time,
// on the resolved address) and of the endpoints API (at create and update
// time, on the URL's literal host).
//
// Every address is normalised before it is checked: an IPv6 zone is removed
// (a netip.Prefix never contains a zoned address, so "::1%lo" would pass a
// plain prefix check), IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible
// (::a.b.c.d) addresses become the IPv4 address they stand for, and the
// IPv6 transition forms that carry an IPv4 address (NAT64, 6to4, Teredo)
// are judged by the address they embed. webhooks.allow_cidrs is matched
// against the normalised address too, so "127.0.0.0/8" allows
// [::ffff:127.0.0.1] and "::1/128" allows [::1%lo].
//
// The table is our own, cross-checked against the maintained list of the
// code.dny.dev/ssrf module (docs/dependencies.md says why it is not a
// dependency): every prefix of its v0.3.0 lists is refused here as well
// (but NAT64 to a public IPv4 address, allowed on purpose),
// and like it, any IPv6 address outside global unicast (2000::/3) is
// refused whatever its range.
package ssrf

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// RefusedError is the error of an address the guard refused.
type RefusedError struct {
	Addr netip.Addr // normalised (no zone, IPv4 for mapped forms); invalid if none
	Why  string
}

func (e *RefusedError) Error() string {
	if !e.Addr.IsValid() {
		return fmt.Sprintf("refused to connect: %s", e.Why)
	}
	return fmt.Sprintf("refused to connect to %s: %s (list it in webhooks.allow_cidrs to allow it)", e.Addr, e.Why)
}

type blockedRange struct {
	prefix netip.Prefix
	why    string
}

func r(p, why string) blockedRange { return blockedRange{netip.MustParsePrefix(p), why} }

// blocked4 are the refused IPv4 ranges, most specific first (the first
// match gives the reason). Sources: the IANA IPv4 Special-Purpose Address
// Registry, cloud providers' metadata addresses, RFC 6598 (CGNAT).
var blocked4 = []blockedRange{
	r("169.254.169.254/32", "the cloud metadata service"),
	r("100.100.100.200/32", "the cloud metadata service"), // Alibaba Cloud
	r("255.255.255.255/32", "the broadcast address"),
	r("0.0.0.0/8", "a 'this network' address"),
	r("10.0.0.0/8", "a private address"),
	r("100.64.0.0/10", "a carrier-grade NAT address"),
	r("127.0.0.0/8", "a loopback address"),
	r("169.254.0.0/16", "a link-local address"),
	r("172.16.0.0/12", "a private address"),
	r("192.0.0.0/24", "an IETF protocol address"),
	r("192.0.2.0/24", "a documentation address"),
	r("192.31.196.0/24", "an AS112 address"),
	r("192.52.193.0/24", "an AMT address"),
	r("192.88.99.0/24", "a 6to4 relay anycast address"),
	r("192.168.0.0/16", "a private address"),
	r("192.175.48.0/24", "an AS112 address"),
	r("198.18.0.0/15", "a benchmarking address"),
	r("198.51.100.0/24", "a documentation address"),
	r("203.0.113.0/24", "a documentation address"),
	r("224.0.0.0/4", "a multicast address"),
	r("240.0.0.0/4", "a reserved address"),
}

// blocked6 are the refused IPv6 ranges that need a specific reason; any
// other address outside 2000::/3 is refused as not global unicast. The
// transition forms (NAT64, 6to4, Teredo) are handled before this table.
var blocked6 = []blockedRange{
	r("::/128", "the unspecified address"),
	r("::1/128", "a loopback address"),
	r("::ffff:0:0/96", "an IPv4-mapped address"),
	r("::ffff:0:0:0/96", "an IPv4-translated address"),
	r("::/96", "an IPv4-compatible address"),
	r("100::/64", "a discard-only address"),
	r("fd00:ec2::254/128", "the cloud metadata service"),
	r("fc00::/7", "a private (unique local) address"),
	r("fe80::/10", "a link-local address"),
	r("fec0::/10", "a site-local address"),
	r("ff00::/8", "a multicast address"),
	r("2001:db8::/32", "a documentation address"),
	r("3fff::/20", "a documentation address"),
	r("2001:2::/48", "a benchmarking address"),
	r("2001::/23", "an IETF protocol address"),
	r("2620:4f:8000::/48", "an AS112 address"),
	r("5f00::/16", "an SRv6 segment identifier"),
}

var (
	globalUnicast = netip.MustParsePrefix("2000::/3")
	nat64         = netip.MustParsePrefix("64:ff9b::/96")   // RFC 6052 well-known prefix
	nat64Local    = netip.MustParsePrefix("64:ff9b:1::/48") // RFC 8215 local-use prefix
	sixToFour     = netip.MustParsePrefix("2002::/16")      // RFC 3056, deprecated by RFC 7526
	teredo        = netip.MustParsePrefix("2001::/32")      // RFC 4380
	loopback6     = netip.IPv6Loopback()
	unspecified6  = netip.IPv6Unspecified()
)

// Normalize returns the address a is checked as: without its zone, and
// IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, deprecated
// by RFC 4291 but still routed by some stacks) forms as IPv4. :: and ::1
// stay IPv6.
func Normalize(a netip.Addr) netip.Addr {
	a = a.WithZone("")
	if a.Is4In6() {
		return a.Unmap()
	}
	if a.Is6() && a != loopback6 && a != unspecified6 {
		b := a.As16()
		if isZero(b[:12]) {
			return netip.AddrFrom4([4]byte(b[12:]))
		}
	}
	return a
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// Guard is the decision, built once from webhooks.allow_cidrs. The zero
// value and a nil *Guard allow nothing beyond the default.
type Guard struct{ allow []netip.Prefix }

// New builds a Guard; allowCIDRs are webhooks.allow_cidrs.
func New(allowCIDRs []string) (*Guard, error) {
	g := &Guard{}
	for _, c := range allowCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("webhooks.allow_cidrs: %w", err)
		}
		// An allowed ::ffff:10.0.0.0/104 is 10.0.0.0/8: addresses are
		// compared in their normalised form.
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		g.allow = append(g.allow, p.Masked())
	}
	return g, nil
}

func (g *Guard) allowed(a netip.Addr) bool {
	if g == nil {
		return false
	}
	for _, p := range g.allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Check returns a *RefusedError if a may not be connected to.
func (g *Guard) Check(a netip.Addr) error {
	if !a.IsValid() {
		return &RefusedError{Why: "not an IP address"}
	}
	a = Normalize(a)
	if g.allowed(a) {
		return nil
	}
	if why := Blocked(a); why != "" {
		return &RefusedError{Addr: a, Why: why}
	}
	return nil
}

// Control is the net.Dialer hook; address is the resolved ip:port (with a
// zone for scoped IPv6 addresses, which Check removes).
func (g *Guard) Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &RefusedError{Why: "not an IP address: " + address}
	}
	// The dialer writes a zoned IPv4-mapped address as "127.0.0.1%lo",
	// which netip does not parse: the zone goes anyway.
	host, _, _ = strings.Cut(host, "%")
	a, err := netip.ParseAddr(host)
	if err != nil {
		return &RefusedError{Why: "not an IP address: " + address}
	}
	return g.Check(a)
}

// Blocked returns why a normalised address is refused by default, or "".
func Blocked(a netip.Addr) string {
	if a.Is4() {
		return lookup(blocked4, a)
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		// The translator forwards to the embedded IPv4 address.
		if why := embedded(netip.AddrFrom4([4]byte(b[12:]))); why != "" {
			return "a NAT64 address (to " + why + ")"
		}
		return ""
	case nat64Local.Contains(a):
		// The local-use prefix may be split into NAT64 prefixes of any
		// length from /48 to /96 (RFC 6052 §2.2): every reading the
		// address is well-formed for counts. The /96 one always is, so in
		// practice only that format reaches a public address.
		for _, e := range nat64Readings(b) {
			if why := embedded(e); why != "" {
				return "a local-use NAT64 address (possibly to " + why + ")"
			}
		}
		return ""
	case sixToFour.Contains(a):
		// Refused whatever it embeds: 6to4 is deprecated (RFC 7526) and
		// reaches the embedded IPv4 host through relays.
		why := "a 6to4 address"
		if e := embedded(netip.AddrFrom4([4]byte(b[2:6]))); e != "" {
			why += " (embeds " + e + ")"
		}
		return why
	case teredo.Contains(a):
		// Refused whatever it embeds: the server (bits 32-63) and the
		// client, obfuscated (bits 96-127 inverted), are IPv4 hosts.
		why := "a Teredo address"
		client := [4]byte{^b[12], ^b[13], ^b[14], ^b[15]}
		for _, e := range []netip.Addr{netip.AddrFrom4(client), netip.AddrFrom4([4]byte(b[4:8]))} {
			if w := embedded(e); w != "" {
				return why + " (embeds " + w + ")"
			}
		}
		return why
	}
	if why := lookup(blocked6, a); why != "" {
		return why
	}
	if !globalUnicast.Contains(a) {
		return "not a global unicast IPv6 address"
	}
	return ""
}

// embedded describes an embedded IPv4 address that is refused, or "".
func embedded(e netip.Addr) string {
	if why := lookup(blocked4, e); why != "" {
		return e.String() + ", " + why
	}
	return ""
}

// nat64Readings are the IPv4 addresses a 64:ff9b:1::/48 address embeds
// under the RFC 6052 formats whose prefix fits inside it (/48, /56, /64,
// /96), for the formats it is well-formed for: bits 64-71 (u) and the
// suffix after the IPv4 address zero.
func nat64Readings(b [16]byte) []netip.Addr {
	slash96 := netip.AddrFrom4([4]byte(b[12:]))
	if b[8] != 0 {
		return []netip.Addr{slash96}
	}
	var as []netip.Addr
	if isZero(b[11:]) {
		as = append(as, netip.AddrFrom4([4]byte{b[6], b[7], b[9], b[10]})) // /48
	}
	if isZero(b[12:]) {
		as = append(as, netip.AddrFrom4([4]byte{b[7], b[9], b[10], b[11]})) // /56
	}
	if isZero(b[13:]) {
		as = append(as, netip.AddrFrom4([4]byte{b[9], b[10], b[11], b[12]})) // /64
	}
	return append(as, slash96)
}

func lookup(table []blockedRange, a netip.Addr) string {
	for _, br := range table {
		if br.prefix.Contains(a) {
			return br.why
		}
	}
	return ""
}
