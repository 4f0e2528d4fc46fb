package ssrf_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/webhook/ssrf"
	"github.com/evtctl/evtctl/internal/webhook/ssrf/ssrftest"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"::1%lo":                "::1",
		"::1%1":                 "::1",
		"fe80::1%eth0":          "fe80::1",
		"::ffff:127.0.0.1":      "127.0.0.1",
		"::ffff:127.0.0.1%lo":   "127.0.0.1",
		"::127.0.0.1":           "127.0.0.1",
		"::7f00:1%lo":           "127.0.0.1",
		"::":                    "::",
		"::1":                   "::1",
		"::2":                   "0.0.0.2",
		"127.0.0.1":             "127.0.0.1",
		"64:ff9b::7f00:1":       "64:ff9b::7f00:1",
		"2606:2800::1%eth0":     "2606:2800::1",
		"::ffff:0:127.0.0.1%lo": "::ffff:0:7f00:1",
	} {
		if got := ssrf.Normalize(netip.MustParseAddr(in)); got.String() != want {
			t.Errorf("Normalize(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestGuardAddresses(t *testing.T) {
	none, _ := ssrf.New(nil)
	var nilGuard *ssrf.Guard
	allow, err := ssrf.New([]string{"127.0.0.0/8", "::1/128", "10.9.0.0/16", "::ffff:192.168.7.0/120"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ip          string
		none, allow bool   // allowed without / with the list above
		why         string // part of the default refusal
	}{
		{"93.184.215.14", true, true, ""},
		{"1.1.1.1", true, true, ""},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true, true, ""},
		{"64:ff9b::808:808", true, true, ""},
		{"64:ff9b:1::808:808", true, true, ""},
		{"64:ff9b:1:808:8:800::", false, false, "local-use NAT64"}, // /48 format: its /96 reading is 0.0.0.0
		{"127.0.0.1", false, true, "loopback"},
		{"::ffff:127.0.0.1", false, true, "loopback"},
		{"::127.0.0.1", false, true, "loopback"},
		{"::1", false, true, "loopback"},
		{"::1%lo", false, true, "loopback"},
		{"::1%1", false, true, "loopback"},
		{"::ffff:127.0.0.1%lo", false, true, "loopback"},
		{"fe80::1%lo", false, false, "link-local"},
		{"fe80::1%eth0", false, false, "link-local"},
		{"10.9.1.1", false, true, "private"},
		{"::ffff:10.9.1.1", false, true, "private"},
		{"192.168.7.9", false, true, "private"},
		{"10.1.1.1", false, false, "private"},
		{"172.16.0.1", false, false, "private"},
		{"192.168.1.1", false, false, "private"},
		{"169.254.169.254", false, false, "metadata"},
		{"::ffff:169.254.169.254", false, false, "metadata"},
		{"100.100.100.200", false, false, "metadata"},
		{"fd00:ec2::254", false, false, "metadata"},
		{"169.254.1.1", false, false, "link-local"},
		{"100.64.0.1", false, false, "carrier-grade"},
		{"198.18.0.1", false, false, "benchmarking"},
		{"0.0.0.0", false, false, "this network"},
		{"::", false, false, "unspecified"},
		{"224.0.0.1", false, false, "multicast"},
		{"ff02::1", false, false, "multicast"},
		{"240.0.0.1", false, false, "reserved"},
		{"255.255.255.255", false, false, "broadcast"},
		{"fc00::1", false, false, "unique local"},
		{"fec0::1", false, false, "site-local"},
		{"64:ff9b::7f00:1", false, false, "NAT64 address (to 127.0.0.1, a loopback"},
		{"64:ff9b::a9fe:a9fe", false, false, "NAT64 address (to 169.254.169.254, the cloud metadata"},
		{"64:ff9b:1::7f00:1", false, false, "local-use NAT64"},
		{"64:ff9b:1:7f00:0:100::", false, false, "local-use NAT64"},
		{"64:ff9b:1:ff7f:0:1::", false, false, "local-use NAT64"},   // /56 reading
		{"64:ff9b:1:0:7f:0:100::", false, false, "local-use NAT64"}, // /64 reading
		{"2002:7f00:1::1", false, false, "6to4 address (embeds 127.0.0.1, a loopback"},
		{"2002:808:808::1", false, false, "6to4"},
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", false, false, "Teredo address (embeds 127.0.0.1"},
		{"2001:0:a00:1::f7f7:f7f7", false, false, "Teredo address (embeds 10.0.0.1"},
		{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", false, false, "Teredo"},
		{"::ffff:0:127.0.0.1", false, false, "IPv4-translated"},
		{"100::1", false, false, "discard"},
		{"2001:db8::1", false, false, "documentation"},
		{"3fff::1", false, false, "documentation"},
		{"192.88.99.1", false, false, "6to4 relay"},
		{"4000::1", false, false, "not a global unicast"},
		{"5f00::1", false, false, "SRv6"},
		{"1::1", false, false, "not a global unicast"},
	}
	for _, c := range cases {
		a := netip.MustParseAddr(c.ip)
		err := none.Check(a)
		if got := err == nil; got != c.none {
			t.Errorf("%s without allow list: allowed=%v, want %v (%v)", c.ip, got, c.none, err)
		}
		if err != nil && !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: %q does not say %q", c.ip, err, c.why)
		}
		if got := nilGuard.Check(a) == nil; got != c.none {
			t.Errorf("%s with a nil guard: allowed=%v, want %v", c.ip, got, c.none)
		}
		if got := allow.Check(a) == nil; got != c.allow {
			t.Errorf("%s with allow list: allowed=%v, want %v", c.ip, got, c.allow)
		}
	}
	var re *ssrf.RefusedError
	if err := none.Control("tcp6", "[::1%lo]:80", nil); !errors.As(err, &re) || re.Addr.String() != "::1" || re.Why != "a loopback address" {
		t.Fatalf("control with a zone: %v", err)
	}
	if err := none.Control("tcp4", "127.0.0.1%lo:80", nil); !errors.As(err, &re) || re.Addr.String() != "127.0.0.1" {
		t.Fatalf("control with a zoned IPv4 address: %v", err)
	}
	if err := none.Control("tcp4", "169.254.169.254:80", nil); !errors.As(err, &re) || re.Why != "the cloud metadata service" {
		t.Fatalf("control: %v", err)
	}
	if err := none.Control("tcp", "nonsense", nil); !errors.As(err, &re) {
		t.Fatalf("control of a non-address: %v", err)
	}
	if _, err := ssrf.New([]string{"nope"}); err == nil {
		t.Fatal("bad CIDR accepted")
	}
}

// The prefixes of the maintained list in code.dny.dev/ssrf v0.3.0
// (IPv4DeniedPrefixes, IPv6DeniedPrefixes and everything outside IPv6
// global unicast): each one's first and last address must be refused here
// too (docs/dependencies.md). Its one other rule, all of 64:ff9b::/96, is
// the deliberate difference: NAT64 to a public address is allowed.
func TestCoversMaintainedList(t *testing.T) {
	g, _ := ssrf.New(nil)
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24",
		"192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
		"240.0.0.0/4", "224.0.0.0/4",
		"2001::/23", "2001:db8::/32", "2002::/16", "2620:4f:8000::/48", "3fff::/20",
		"::/3", "4000::/2", "8000::/1",
	} {
		p := netip.MustParsePrefix(s)
		last := p.Addr().As16()
		bits := p.Bits()
		if p.Addr().Is4() {
			bits += 96
		}
		for i := bits; i < 128; i++ {
			last[i/8] |= 1 << (7 - i%8)
		}
		lastAddr := netip.AddrFrom16(last)
		if p.Addr().Is4() {
			lastAddr = lastAddr.Unmap()
		}
		for _, a := range []netip.Addr{p.Addr(), lastAddr} {
			if err := g.Check(a); err == nil {
				t.Errorf("%s (from %s) is allowed", a, s)
			}
		}
	}
}

// TestURLForms is the create-time half of the SSRF table (the connect-time
// half is TestSSRFDialForms in package webhook).
func TestURLForms(t *testing.T) {
	g, _ := ssrf.New(nil)
	refused := 0
	for _, f := range ssrftest.Forms {
		u := f.With("8080", "8081")
		reason := g.CheckURL(u)
		if (reason != "") != f.Create {
			t.Errorf("%s: CheckURL(%q) = %q, want refused=%v", f.Name, u, reason, f.Create)
		}
		if reason != "" {
			refused++
		}
	}
	for _, u := range ssrftest.Accepted {
		if reason := g.CheckURL(u); reason != "" {
			t.Errorf("CheckURL(%q) = %q, want accepted", u, reason)
		}
	}
	t.Logf("refused at create: %d of %d forms (the others are names, refused when connecting)", refused, len(ssrftest.Forms))
}

func TestURLReasons(t *testing.T) {
	g, _ := ssrf.New(nil)
	for u, want := range map[string]string{
		"http://user:pass@example.com/": "must not contain credentials",
		"http://good@example.com/":      "must not contain credentials",
		"http://[::1%25lo]:8080/":       "has the host ::1%lo, a loopback address",
		"http://[::ffff:127.0.0.1]/":    "a loopback address",
		"http://0x7f.1/":                "resolvers read as 127.0.0.1: a non-canonical IPv4 form, a loopback address",
		"http://134744072/":             "resolvers read as 8.8.8.8: a non-canonical IPv4 form; write",
		"http://1.2.3.4.5/":             "a numeric name that is not an IPv4 address",
		"http://256.1.1.1/":             "a numeric name that is not an IPv4 address",
		"http://localhost/":             "a loopback name",
		"http://bücher.example/":        "xn-- form",
		"http://example.com:99999/":     "invalid port",
		"http://example.com:0/":         "invalid port",
		"http://example.com:/":          "invalid port",
		"http://a..b/":                  "invalid host",
		"ftp://example.com/":            "absolute http:// or https://",
	} {
		if got := g.CheckURL(u); !strings.Contains(got, want) {
			t.Errorf("CheckURL(%q) = %q, want it to contain %q", u, got, want)
		}
	}
}

// allow_cidrs is the escape hatch, matched on the normalised address.
func TestURLAllowList(t *testing.T) {
	g, err := ssrf.New([]string{"127.0.0.0/8", "::1/128"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		"http://127.0.0.1:8080/", "http://[::1]:8080/", "http://[::1%25lo]:8080/", "http://[::ffff:127.0.0.1]:8080/",
		"http://[::127.0.0.1]:8080/", "http://localhost:8080/", "http://localhost.:8080/",
	} {
		if reason := g.CheckURL(u); reason != "" {
			t.Errorf("with loopback allowed, CheckURL(%q) = %q", u, reason)
		}
	}
	for _, u := range []string{
		"http://2130706433:8080/", // still not a way to write an address
		"http://user:pass@127.0.0.1:8080/",
		"http://169.254.169.254/",
		"http://[64:ff9b::7f00:1]/", // NAT64 reaches 127.0.0.1 of the translator, not ours
		"http://[fe80::1%25lo]/",
	} {
		if reason := g.CheckURL(u); reason == "" {
			t.Errorf("with loopback allowed, CheckURL(%q) accepted", u)
		}
	}
	g4, _ := ssrf.New([]string{"127.0.0.0/8"})
	if reason := g4.CheckURL("http://localhost:8080/"); reason != "" {
		t.Errorf("localhost with 127.0.0.0/8 allowed: %q", reason)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:pass@example.com/x?y#z":  "http://example.com/x?y#z",
		"https://tok@example.com":             "https://example.com",
		"http://a@b@127.0.0.1:80/p@q":         "http://127.0.0.1:80/p@q",
		"http://example.com/path@x":           "http://example.com/path@x",
		"http://example.com/?next=http://u@x": "http://example.com/?next=http://u@x",
		"http://us%zzer:p@example.com/":       "http://example.com/",
		"HTTP://U:P@EXAMPLE.COM":              "HTTP://EXAMPLE.COM",
		"not a url":                           "not a url",
		"":                                    "",
	} {
		if got := ssrf.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
