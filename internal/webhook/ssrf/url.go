package ssrf

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// CheckURL is the create/update-time check of a webhook URL: it returns
// why the URL is refused, or "". It refuses what is wrong whatever DNS
// says: not an absolute http(s) URL, a #fragment, credentials (user:password@), a bad
// port, a host that is not an ASCII DNS name or an IP address, an IP
// literal the guard refuses (in any spelling: zoned, mapped, compatible,
// bracketed), the numeric IPv4 spellings resolvers accept besides the
// dotted quad (2130706433, 0x7f.1, 0177.0.0.1, 127.1) and the localhost
// names. Other names are only checked when connecting, on the resolved
// addresses (Control): a check here would be both too early (DNS answers
// change) and too weak.
func (g *Guard) CheckURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.Host == "" {
		return "must be an absolute http:// or https:// URL"
	}
	if u.User != nil {
		return "must not contain credentials (user:password@); authenticate the requests by their webhook-signature"
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "must not have a #fragment"
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("has an invalid port %q", p)
		}
	}
	return g.checkHost(u.Hostname())
}

func (g *Guard) checkHost(host string) string {
	if host == "" {
		return "must be an absolute http:// or https:// URL"
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if err := g.Check(a); err != nil {
			re := err.(*RefusedError)
			return fmt.Sprintf("has the host %s, %s (list it in webhooks.allow_cidrs to allow it)", host, re.Why)
		}
		return ""
	}
	for _, c := range host {
		if c >= 0x80 {
			return "must have an ASCII host: write an internationalised name in its xn-- form"
		}
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return fmt.Sprintf("has an invalid host %q: not a DNS name or an IP address", host)
		}
	}
	if len(name) > 253 {
		return "has an invalid host: longer than 253 characters"
	}
	// A name whose last label is a number is an IPv4 address to URL
	// parsers and resolvers (inet_aton): 2130706433, 0x7f.1, 0177.0.0.1,
	// 127.1 and 127.0.0.1. all reach 127.0.0.1 through getaddrinfo.
	if last := labels[len(labels)-1]; isNumber(last) {
		if a, ok := inetAton(name); ok {
			why := "a non-canonical IPv4 form"
			if err := g.Check(a); err != nil {
				why += ", " + err.(*RefusedError).Why
			}
			return fmt.Sprintf("has the host %s, which resolvers read as %s: %s; write the address as a dotted quad", host, a, why)
		}
		return fmt.Sprintf("has an invalid host %q: a numeric name that is not an IPv4 address", host)
	}
	// Names that always resolve to loopback (RFC 6761 and common hosts
	// file entries): refused unless allow_cidrs allows loopback.
	if name == "localhost" || strings.HasSuffix(name, ".localhost") || name == "localhost.localdomain" ||
		name == "ip6-localhost" || name == "ip6-loopback" {
		if g.Check(netip.MustParseAddr("127.0.0.1")) != nil && g.Check(loopback6) != nil {
			return fmt.Sprintf("has the host %s, a loopback name (list 127.0.0.0/8 in webhooks.allow_cidrs to allow it)", host)
		}
	}
	return ""
}

// isNumber tells whether a label is a number in inet_aton's syntax
// (decimal, 0x hex or 0 octal).
func isNumber(l string) bool {
	if h, ok := strings.CutPrefix(l, "0x"); ok {
		return strings.Trim(h, "0123456789abcdef") == ""
	}
	return l != "" && strings.Trim(l, "0123456789") == ""
}

// inetAton parses the IPv4 forms of inet_aton(3) and the WHATWG URL
// standard: one to four numbers (decimal, 0x hex, 0 octal), the last one
// filling the remaining bytes.
func inetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var nums []uint64
	for _, p := range parts {
		base, digits := 10, p
		switch {
		case strings.HasPrefix(p, "0x"):
			base, digits = 16, p[2:]
			if digits == "" {
				digits = "0"
			}
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		n, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		nums = append(nums, n)
	}
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// RedactURL removes the userinfo (user:password@) of a URL, whether or
// not the rest parses: endpoints stored before credentials were refused
// never show them.
func RedactURL(raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	scheme := raw[:len(raw)-len(rest)]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return raw
	}
	return scheme + rest[at+1:]
}
