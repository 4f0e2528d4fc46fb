package replay

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// Pacing decides when each record is sent.
type Pacing struct {
	// Speed scales the recorded gaps: 1 = as recorded, 2 = twice as fast.
	Speed float64
	// Rate, when > 0, sends Rate events per second regardless of the
	// recorded times.
	Rate float64
	// Max sends as fast as the gateway accepts.
	Max bool
}

// pacer turns record times into wall-clock send times. It is used by one
// goroutine.
type pacer struct {
	p       Pacing
	limiter *rate.Limiter
	start   time.Time // wall time of the first record
	first   time.Time // recorded time of the first timed record
	last    time.Duration
	now     func() time.Time
}

func newPacer(p Pacing, now func() time.Time) *pacer {
	pc := &pacer{p: p, now: now}
	if p.Rate > 0 {
		pc.limiter = rate.NewLimiter(rate.Limit(p.Rate), 1)
	}
	return pc
}

// delay returns how long to wait before sending a record recorded at at.
// Recorded times that go backwards (merged sources, clock steps) or are
// unknown keep the previous offset: the order of the file is the order of
// sending, and relative timing never runs backwards.
func (pc *pacer) delay(at time.Time) time.Duration {
	switch {
	case pc.p.Max:
		return 0
	case pc.limiter != nil:
		return pc.limiter.Reserve().Delay()
	}
	now := pc.now()
	if pc.start.IsZero() {
		pc.start = now
	}
	if !at.IsZero() {
		if pc.first.IsZero() {
			pc.first = at
		}
		if off := time.Duration(float64(at.Sub(pc.first)) / pc.p.Speed); off > pc.last {
			pc.last = off
		}
	}
	return max(pc.start.Add(pc.last).Sub(now), 0)
}

// wait sleeps d or until ctx ends.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
