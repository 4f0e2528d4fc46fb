package webhook

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps a receiver's Retry-After: a misbehaving receiver must
// not park a delivery for months.
const maxRetryAfter = 24 * time.Hour

// schedule is the retry schedule of docs/contract.md#webhooks: after the n-th failed
// attempt of a run the next one waits delays[n-1], spread by ±jitter; after
// len(delays)+1 attempts the delivery has failed.
type schedule struct {
	delays []time.Duration
	jitter float64
	rand   func() float64 // [0,1); replaced in tests
}

func newSchedule(delays []time.Duration, jitter float64) schedule {
	return schedule{delays: delays, jitter: jitter, rand: rand.Float64}
}

// next returns the wait after the failed attempt number n (1-based) of a
// run, or false when the schedule is exhausted. Jitter keeps many deliveries
// that failed together (a receiver outage) from coming back in one burst.
func (s schedule) next(n int) (time.Duration, bool) {
	if n < 1 || n > len(s.delays) {
		return 0, false
	}
	d := s.delays[n-1]
	if s.jitter > 0 {
		d = time.Duration(float64(d) * (1 + s.jitter*(2*s.rand()-1)))
	}
	return d, true
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		d = time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, 0), maxRetryAfter), true
}
