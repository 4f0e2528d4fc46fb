package tail

import (
	"testing"
	"time"
)

// The default schedule doubles from 0.5 s to its 30 s cap, each wait within
// ±50 % of its step, the waits are spread (not all equal), and a success
// starts over.
func TestBackoffSchedule(t *testing.T) {
	steps := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	s := DefaultBackoff.start()
	for i, step := range steps {
		if d := s.wait(); d < step/2 || d > step*3/2 {
			t.Fatalf("wait %d = %v, want %v ±50 %%", i, d, step)
		}
	}
	s.reset()
	if d := s.wait(); d < 250*time.Millisecond || d > 750*time.Millisecond {
		t.Fatalf("after reset: %v, want 0.5 s ±50 %%", d)
	}

	firsts := map[time.Duration]bool{}
	for range 20 {
		firsts[DefaultBackoff.start().wait()] = true
	}
	if len(firsts) < 10 {
		t.Fatalf("20 clients dropped together would retry at only %d distinct times", len(firsts))
	}

	exact := Backoff{Initial: time.Second, Max: 3 * time.Second, Multiplier: 2}.start()
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second} {
		if d := exact.wait(); d != want {
			t.Fatalf("without jitter, wait %d = %v, want %v", i, d, want)
		}
	}
}
