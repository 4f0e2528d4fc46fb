package webhook

import (
	"sync"
	"time"
)

// breaker is one endpoint's circuit breaker on one node. After `threshold`
// consecutive failures it opens: attempts fail at once without a request,
// so a dead receiver costs neither connections nor timeouts. After
// `cooldown` one probe goes through (half-open); its success closes the
// breaker, its failure opens it for another cooldown.
//
// Only failures that say "the receiver is unwell" count: no connection,
// timeouts, 5xx and 429. A 4xx answer shows a live receiver that rejects
// one payload, which must not hold back the others.
type breaker struct {
	threshold int
	cooldown  time.Duration

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	probing   bool
}

func newBreaker(threshold int, cooldown time.Duration) *breaker {
	return &breaker{threshold: max(threshold, 1), cooldown: cooldown}
}

// allow reports whether an attempt may be made now; probe is set when it is
// the half-open trial, whose outcome must be reported with done.
func (b *breaker) allow(now time.Time) (ok, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return true, false
	}
	if now.Before(b.openUntil) || b.probing {
		return false, false
	}
	b.probing = true
	return true, true
}

// done reports an attempt's outcome (healthy = the receiver answered
// something other than 5xx/429).
func (b *breaker) done(now time.Time, probe, healthy bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if probe {
		b.probing = false
	}
	if healthy {
		b.failures = 0
		return
	}
	b.failures++
	if b.failures >= b.threshold {
		b.openUntil = now.Add(b.cooldown)
	}
}

// open reports whether the breaker currently refuses attempts.
func (b *breaker) open(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures >= b.threshold && now.Before(b.openUntil)
}
