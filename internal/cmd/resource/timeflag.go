package resource

import (
	"strconv"
	"strings"
	"time"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// ParseDuration is time.ParseDuration plus whole days ("30d"), which is how
// people think of key lifetimes and look-back windows.
func ParseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err == nil && days >= 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(s)
}

// PastTime reads a point-in-time flag such as --since: an RFC 3339 time (or
// the gateway's "2024-05-29 10:48:27.364000+00:00" form), or a duration
// meaning that long before now ("15m", "2h", "7d"). The result is RFC 3339
// with nanoseconds, ready for the query string. A bad value is a usage error
// naming the flag.
func PastTime(flag, value string, now time.Time) (string, error) {
	if t, err := proto.ParseTime(value); err == nil {
		return t.UTC().Format(time.RFC3339Nano), nil
	}
	if d, err := ParseDuration(value); err == nil && d >= 0 {
		return now.Add(-d).UTC().Format(time.RFC3339Nano), nil
	}
	return "", cmdutil.FlagErrorf("invalid value %q for --%s: want an RFC 3339 time (2024-05-29T10:48:27Z) or a duration before now (15m, 2h, 7d)", value, flag)
}
