package tail

import (
	"math/rand/v2"
	"time"
)

// Backoff is the reconnect schedule: Initial, then each wait Multiplier
// times the previous one up to Max, each randomised by ±Jitter (a fraction)
// so that many clients dropped together do not come back together.
type Backoff struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     float64
}

// DefaultBackoff is used when Options.Backoff is zero: 0.5 s, 1 s, 2 s … 30 s, ±50 %.
var DefaultBackoff = Backoff{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Multiplier: 2, Jitter: 0.5}

// backoffState is the position in a Backoff schedule for one source.
type backoffState struct {
	b    Backoff
	next time.Duration
}

func (b Backoff) start() *backoffState { return &backoffState{b: b, next: b.Initial} }

// wait returns the next wait and advances the schedule.
func (s *backoffState) wait() time.Duration {
	d := s.next
	s.next = min(time.Duration(float64(s.next)*s.b.Multiplier), s.b.Max)
	if s.b.Jitter > 0 {
		d = time.Duration(float64(d) * (1 - s.b.Jitter + 2*s.b.Jitter*rand.Float64()))
	}
	return d
}

// reset goes back to the first wait, after a connection succeeded.
func (s *backoffState) reset() { s.next = s.b.Initial }
