package loadtest

import (
	"testing"

	"github.com/evtctl/evtctl/internal/testkit"
)

func TestParseSources(t *testing.T) {
	for _, tc := range []struct {
		in    string
		first string
		last  string
		n     int
		err   string
	}{
		{in: "127.0.0.2-127.0.0.60", first: "127.0.0.2", last: "127.0.0.60", n: 59},
		{in: "127.0.0.5", first: "127.0.0.5", last: "127.0.0.5", n: 1},
		{in: "10.0.0.1, 10.0.0.250-10.0.1.3", first: "10.0.0.1", last: "10.0.1.3", n: 1 + 10},
		{in: "::1-::3", first: "::1", last: "::3", n: 3},
		{in: "127.0.0.9-127.0.0.2", err: "ends before it starts"},
		{in: "127.0.0.1-::1", err: "mixes IPv4 and IPv6"},
		{in: "localhost", err: "not an IP address"},
		{in: "127.0.0.1-", err: "not an IP address"},
		{in: " , ", err: "no source address"},
		{in: "10.0.0.0-10.1.0.0", err: "more than"},
	} {
		got, err := ParseSources(tc.in)
		if !testkit.CheckErr(t, tc.in, err, tc.err) {
			continue
		}
		if len(got) != tc.n || got[0].String() != tc.first || got[len(got)-1].String() != tc.last {
			t.Errorf("%q: %d addresses %v…%v, want %d %s…%s", tc.in, len(got), got[0], got[len(got)-1], tc.n, tc.first, tc.last)
		}
	}
}
