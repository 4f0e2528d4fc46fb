package loadtest

import (
	"fmt"
	"net/netip"
	"strings"
)

// maxSources bounds an address range: a dialer is built per address.
const maxSources = 1 << 16

// ParseSources parses a source address list such as
// "127.0.0.2-127.0.0.60" or "10.0.0.5,10.0.0.7-10.0.0.9": comma-separated
// single addresses or inclusive ranges of one family. Spreading connections
// over several source addresses multiplies the ephemeral ports available
// towards one server address (about 28,000 per source on Linux).
func ParseSources(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := netip.ParseAddr(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("source address %q is not an IP address", lo)
		}
		last := first
		if isRange {
			if last, err = netip.ParseAddr(strings.TrimSpace(hi)); err != nil {
				return nil, fmt.Errorf("source address %q is not an IP address", hi)
			}
			if first.Is4() != last.Is4() {
				return nil, fmt.Errorf("source range %q mixes IPv4 and IPv6", part)
			}
			if last.Less(first) {
				return nil, fmt.Errorf("source range %q ends before it starts", part)
			}
		}
		for a := first; ; a = a.Next() {
			if len(out) >= maxSources {
				return nil, fmt.Errorf("more than %d source addresses", maxSources)
			}
			out = append(out, a)
			if a == last {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no source address in %q", s)
	}
	return out, nil
}
