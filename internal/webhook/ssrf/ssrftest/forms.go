// Package ssrftest holds the table of webhook URL forms that try to reach
// inside (server-side request forgery), shared by the create-time tests of
// package ssrf and the connect-time tests of package webhook, and a test
// resolver that answers like the most permissive system resolver.
package ssrftest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Dial outcomes of a form with the default guard.
const (
	Refused = "refused"  // the guard refuses the resolved address
	NotSent = "not sent" // the HTTP client fails before connecting (scheme, host syntax, unknown name)
)

// Form is one URL spelling. {P4} and {P6} are replaced by the ports of a
// receiver on 127.0.0.1 and one on [::1], so that a form the guard let
// through would really be delivered.
type Form struct {
	Name   string
	URL    string
	Create bool   // refused at endpoint create/update (400 naming "url")
	Dial   string // Refused or NotSent
}

// With returns the form's URL with the receivers' ports.
func (f Form) With(p4, p6 string) string {
	return strings.NewReplacer("{P4}", p4, "{P6}", p6).Replace(f.URL)
}

// Forms are the hostile forms: every one must be refused at create, or
// at connect, or both (Create false: a name, which is only resolved when
// connecting).
var Forms = []Form{
	// IPv4 loopback in every spelling resolvers accept.
	{"loopback dotted quad", "http://127.0.0.1:{P4}/", true, Refused},
	{"loopback 127/8", "http://127.1.2.3:{P4}/", true, Refused},
	{"loopback short 127.1", "http://127.1:{P4}/", true, Refused},
	{"loopback decimal", "http://2130706433:{P4}/", true, Refused},
	{"loopback hex", "http://0x7f000001:{P4}/", true, Refused},
	{"loopback hex short", "http://0x7f.1:{P4}/", true, Refused},
	{"loopback hex upper", "http://0X7F.0.0.1:{P4}/", true, Refused},
	{"loopback octal", "http://0177.0.0.1:{P4}/", true, Refused},
	{"loopback octal short", "http://0177.1:{P4}/", true, Refused},
	{"loopback octal whole", "http://017700000001:{P4}/", true, Refused},
	{"loopback zero-padded", "http://127.000.000.001:{P4}/", true, Refused},
	{"loopback trailing dot", "http://127.0.0.1.:{P4}/", true, Refused},
	{"this network 0", "http://0:{P4}/", true, Refused},
	{"this network 0.0.0.0", "http://0.0.0.0:{P4}/", true, Refused},
	{"uppercase scheme", "HTTP://127.0.0.1:{P4}/", true, Refused},
	{"mixed-case https scheme", "hTTpS://127.0.0.1:{P4}/", true, Refused},
	{"userinfo before loopback", "http://good@127.0.0.1:{P4}/", true, Refused},
	{"credentials before loopback", "http://user:pass@127.0.0.1:{P4}/", true, Refused},
	{"empty userinfo", "http://@127.0.0.1:{P4}/", true, Refused},
	{"double @", "http://a@b@127.0.0.1:{P4}/", true, Refused},
	{"loopback as userinfo", "http://127.0.0.1:{P4}@rebind.test/", true, Refused},
	{"fragment hiding loopback", "http://unknown.test#@127.0.0.1:{P4}/", true, NotSent},
	{"backslash userinfo", `http://unknown.test\@127.0.0.1:{P4}/`, true, NotSent},
	{"port 0", "http://127.0.0.1:0/", true, Refused},

	// Names.
	{"localhost", "http://localhost:{P4}/", true, Refused},
	{"localhost trailing dot", "http://localhost.:{P4}/", true, Refused},
	{"LOCALHOST", "http://LOCALHOST:{P4}/", true, Refused},
	{"sub.localhost", "http://hooks.localhost:{P4}/", true, Refused},
	{"localhost.localdomain", "http://localhost.localdomain:{P4}/", true, Refused},
	{"ip6-localhost", "http://ip6-localhost:{P6}/", true, Refused},
	{"IDNA fullwidth localhost", "http://ｌｏｃａｌｈｏｓｔ:{P4}/", true, Refused},
	{"IDNA fullwidth digits", "http://１２７．０．０．１:{P4}/", true, Refused},
	{"IDNA ideographic full stop", "http://127。0。0。1:{P4}/", true, Refused},
	{"percent-encoded host", "http://%6c%6f%63%61%6c%68%6f%73%74:{P4}/", true, NotSent},
	{"name resolving to 127.0.0.1", "http://rebind.test:{P4}/", false, Refused},
	{"name resolving to ::1", "http://v6.rebind.test:{P6}/", false, Refused},
	{"name resolving to ::ffff:127.0.0.1", "http://mapped.rebind.test:{P4}/", false, Refused},
	{"name resolving to 0.0.0.0", "http://zero.rebind.test:{P4}/", false, Refused},
	{"name resolving to metadata", "http://metadata.rebind.test/", false, Refused},
	{"name resolving to private", "http://private.rebind.test/", false, Refused},
	{"name resolving to public then loopback", "http://both.rebind.test:{P4}/", false, Refused},

	// IPv6 loopback, zones, mapped and compatible forms.
	{"::1", "http://[::1]:{P6}/", true, Refused},
	{"::1 zone lo", "http://[::1%25lo]:{P6}/", true, Refused},
	{"::1 zone 1", "http://[::1%251]:{P6}/", true, Refused},
	{"::1 zone eth0", "http://[::1%25eth0]:{P6}/", true, Refused},
	{"::1 long form", "http://[0:0:0:0:0:0:0:1]:{P6}/", true, Refused},
	{"::1 zero-padded", "http://[0000:0000::0001]:{P6}/", true, Refused},
	{"::1 unbracketed", "http://::1:{P6}/", true, NotSent},
	{"::1 zone unbracketed", "http://::1%25lo:{P6}/", true, NotSent},
	{"IPv4-mapped", "http://[::ffff:127.0.0.1]:{P4}/", true, Refused},
	{"IPv4-mapped hex", "http://[::ffff:7f00:1]:{P4}/", true, Refused},
	{"IPv4-mapped with zone", "http://[::ffff:127.0.0.1%25lo]:{P4}/", true, Refused},
	{"IPv4-mapped long form", "http://[0:0:0:0:0:ffff:127.0.0.1]:{P4}/", true, Refused},
	{"IPv4-compatible", "http://[::127.0.0.1]:{P4}/", true, Refused},
	{"IPv4-compatible hex", "http://[::7f00:1]:{P4}/", true, Refused},
	{"IPv4-compatible with zone", "http://[::127.0.0.1%25lo]:{P4}/", true, Refused},
	{"IPv4-translated", "http://[::ffff:0:127.0.0.1]:{P4}/", true, Refused},
	{"unspecified ::", "http://[::]:{P6}/", true, Refused},
	{"link-local zone lo", "http://[fe80::1%25lo]:{P6}/", true, Refused},
	{"link-local zone 1", "http://[fe80::1%251]:{P6}/", true, Refused},
	{"link-local", "http://[fe80::1]:{P6}/", true, Refused},
	{"site-local", "http://[fec0::1]/", true, Refused},
	{"unique local fc00", "http://[fc00::1]/", true, Refused},
	{"unique local fd00", "http://[fd12:3456::1]/", true, Refused},
	{"metadata IPv6", "http://[fd00:ec2::254]/", true, Refused},
	{"multicast IPv6", "http://[ff02::1]/", true, Refused},
	{"discard-only", "http://[100::1]/", true, Refused},
	{"documentation IPv6", "http://[2001:db8::1]/", true, Refused},
	{"NAT64 to loopback", "http://[64:ff9b::7f00:1]:{P4}/", true, Refused},
	{"NAT64 to metadata", "http://[64:ff9b::169.254.169.254]/", true, Refused},
	{"NAT64 to private", "http://[64:ff9b::10.0.0.1]/", true, Refused},
	{"NAT64 local-use /96 to loopback", "http://[64:ff9b:1::7f00:1]:{P4}/", true, Refused},
	{"NAT64 local-use /48 to loopback", "http://[64:ff9b:1:7f00:0:100::]:{P4}/", true, Refused},
	{"6to4 of loopback", "http://[2002:7f00:1::1]:{P4}/", true, Refused},
	{"6to4 of metadata", "http://[2002:a9fe:a9fe::1]/", true, Refused},
	{"6to4 of public", "http://[2002:808:808::1]/", true, Refused},
	{"Teredo, client 127.0.0.1", "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", true, Refused},
	{"Teredo, server 10.0.0.1", "http://[2001:0:a00:1::f7f7:f7f7]/", true, Refused},

	// IPv4 special ranges.
	{"private 10/8", "http://10.0.0.1/", true, Refused},
	{"private 172.16/12", "http://172.16.0.1/", true, Refused},
	{"private 192.168/16", "http://192.168.1.1/", true, Refused},
	{"link-local", "http://169.254.1.1/", true, Refused},
	{"metadata", "http://169.254.169.254/latest/meta-data/", true, Refused},
	{"metadata decimal", "http://2852039166/", true, Refused},
	{"metadata hex", "http://0xa9fea9fe/", true, Refused},
	{"metadata mapped", "http://[::ffff:a9fe:a9fe]/", true, Refused},
	{"metadata Alibaba", "http://100.100.100.200/", true, Refused},
	{"CGNAT", "http://100.64.0.1/", true, Refused},
	{"benchmarking", "http://198.18.0.1/", true, Refused},
	{"documentation 192.0.2", "http://192.0.2.1/", true, Refused},
	{"documentation 198.51.100", "http://198.51.100.1/", true, Refused},
	{"documentation 203.0.113", "http://203.0.113.1/", true, Refused},
	{"IETF protocol 192.0.0", "http://192.0.0.1/", true, Refused},
	{"6to4 relay anycast", "http://192.88.99.1/", true, Refused},
	{"multicast", "http://224.0.0.1/", true, Refused},
	{"reserved 240/4", "http://240.0.0.1/", true, Refused},
	{"broadcast", "http://255.255.255.255/", true, Refused},

	// Schemes and shapes that are not an absolute http(s) URL.
	{"ftp", "ftp://127.0.0.1:{P4}/", true, NotSent},
	{"file", "file:///etc/passwd", true, NotSent},
	{"gopher", "gopher://127.0.0.1:{P4}/_x", true, NotSent},
	{"dict", "dict://127.0.0.1:{P4}/", true, NotSent},
	{"ws", "ws://127.0.0.1:{P4}/", true, NotSent},
	{"javascript", "javascript:alert(1)", true, NotSent},
	{"scheme-relative", "//127.0.0.1:{P4}/", true, NotSent},
	{"opaque http:", "http:127.0.0.1:{P4}", true, NotSent},
	{"one slash", "http:/127.0.0.1:{P4}/", true, NotSent},
	{"three slashes", "http:///127.0.0.1:{P4}/", true, NotSent},
	{"leading space", " http://127.0.0.1:{P4}/", true, NotSent},
	{"space in host", "http://127.0.0.1 :{P4}/", true, NotSent},
}

// Accepted are forms that must pass the create-time check with the default
// guard (they are not dialled: the tests have no network).
var Accepted = []string{
	"https://hooks.example.com/in",
	"http://hooks.example.com:8080/in?x=1",
	"HTTPS://Hooks.Example.COM/in",
	"https://hooks.example.com./in",
	"https://xn--bcher-kva.example/",
	"https://my_host.example.com/",
	"http://93.184.215.14:8080/x",
	"http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/",
	"http://[64:ff9b::808:808]/",
	"http://[64:ff9b:1::808:808]/",
	"http://1.1.1.1/",
}

// Resolve answers like the most permissive system resolver (glibc's
// getaddrinfo through cgo): the numeric IPv4 spellings of inet_aton, the
// localhost names, and the *.rebind.test names of the forms above; any
// other name is unknown. It never uses the network.
func Resolve(host string) ([]netip.Addr, error) {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if a, ok := InetAton(h); ok {
		return []netip.Addr{a}, nil
	}
	m := func(s ...string) []netip.Addr {
		var as []netip.Addr
		for _, x := range s {
			as = append(as, netip.MustParseAddr(x))
		}
		return as
	}
	switch {
	case h == "localhost" || strings.HasSuffix(h, ".localhost") || h == "localhost.localdomain":
		return m("127.0.0.1", "::1"), nil
	case h == "ip6-localhost" || h == "ip6-loopback":
		return m("::1"), nil
	case h == "rebind.test":
		return m("127.0.0.1"), nil
	case h == "v6.rebind.test":
		return m("::1"), nil
	case h == "mapped.rebind.test":
		return m("::ffff:127.0.0.1"), nil
	case h == "zero.rebind.test":
		return m("0.0.0.0"), nil
	case h == "metadata.rebind.test":
		return m("169.254.169.254"), nil
	case h == "private.rebind.test":
		return m("10.0.0.1"), nil
	case h == "both.rebind.test":
		return m("192.0.2.1", "127.0.0.1"), nil // 192.0.2.1 is refused too: nothing leaves the host
	}
	return nil, &net.DNSError{Err: "no such host (test resolver)", Name: host, IsNotFound: true}
}

// DialVia wraps a DialContext so that names are resolved by Resolve and
// each address is dialled by base (whose Control hook sees it), in order,
// like net.Dialer does with a real resolver.
func DialVia(base func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return base(ctx, network, addr)
		}
		addrs, err := Resolve(host)
		if err != nil {
			return nil, err
		}
		var errs []error
		for _, a := range addrs {
			c, err := base(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
		return nil, errors.Join(errs...)
	}
}

// InetAton reads the IPv4 spellings of inet_aton(3): one to four numbers
// (strconv's base prefixes: 0x hex, 0 octal), the last filling the rest.
func InetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v uint64
	for i, p := range parts {
		if p == "" || strings.Contains(p, "_") || strings.HasPrefix(p, "0o") || strings.HasPrefix(p, "0b") {
			return netip.Addr{}, false
		}
		n, err := strconv.ParseUint(p, 0, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		if i < len(parts)-1 {
			if n > 255 {
				return netip.Addr{}, false
			}
			v = v<<8 | n
			continue
		}
		rest := uint(8 * (4 - i))
		if n >= 1<<rest {
			return netip.Addr{}, false
		}
		v = v<<rest | n
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}
