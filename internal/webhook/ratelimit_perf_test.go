package webhook_test

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/server/servertest"
)

// BenchmarkEndpointRateLimit measures how closely an endpoint's rate_limit
// holds: a real gateway delivers to a real loopback receiver from a queue
// that never runs dry (R × (window + 10 s) events ingested up front), and
// the receiver counts the requests arriving in a window of
// EVTCTL_PERF_SECONDS (default 60) seconds that starts 2 s after the
// first. Reported: the achieved rate, its deviation from R, and the worst
// deviation of a single second, for R = 50 and 500 deliveries/s
// (docs/performance.md):
//
//	go test -run '^$' -bench EndpointRateLimit -benchtime 1x -timeout 10m ./internal/webhook/
func BenchmarkEndpointRateLimit(b *testing.B) {
	window := time.Duration(envInt("EVTCTL_PERF_SECONDS", 60)) * time.Second
	for _, r := range []int{50, 500} {
		b.Run(fmt.Sprintf("rate=%d", r), func(b *testing.B) {
			for range b.N {
				got, worst := measureRate(b, r, window)
				b.ReportMetric(got, "deliveries/s")
				b.ReportMetric(100*(got-float64(r))/float64(r), "%off")
				b.ReportMetric(worst, "%worst-second")
			}
		})
	}
}

// measureRate returns the rate over the window and the largest deviation,
// in percent of r, of any one second of it.
func measureRate(b *testing.B, r int, window time.Duration) (float64, float64) {
	var mu sync.Mutex
	var arrivals []time.Time
	h, _, epID := perfEnvEndpoint(b, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	if resp := h.Do("PATCH", "/api/v1/endpoints/"+epID, servertest.AdminToken, "", map[string]any{"rate_limit": r}); resp.Status != 200 {
		b.Fatalf("rate_limit: %d %s", resp.Status, resp.Body)
	}
	time.Sleep(500 * time.Millisecond) // every node's worker sees the new limit
	total := r * int(window/time.Second+10)
	for i := 0; i < total; i += 1000 {
		var sb strings.Builder
		for j := i; j < min(i+1000, total); j++ {
			sb.WriteString(soundEvent(fmt.Sprintf("r%d", j)) + "\n")
		}
		if resp := h.Do("POST", "/api/v1/events/sound", servertest.AdminToken, "application/x-ndjson", sb.String()); resp.Status != 202 {
			b.Fatalf("ingest: %d", resp.Status)
		}
	}
	var first time.Time
	for first.IsZero() {
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		if len(arrivals) > 0 {
			first = arrivals[0]
		}
		mu.Unlock()
	}
	from := first.Add(2 * time.Second)
	to := from.Add(window)
	time.Sleep(time.Until(to.Add(time.Second)))
	mu.Lock()
	defer mu.Unlock()
	n := 0
	perSecond := make([]int, int(window/time.Second))
	for _, at := range arrivals {
		if !at.Before(from) && at.Before(to) {
			n++
			if i := int(at.Sub(from) / time.Second); i < len(perSecond) {
				perSecond[i]++
			}
		}
	}
	if len(arrivals) >= total {
		b.Fatalf("the queue ran dry: %d of %d delivered", len(arrivals), total)
	}
	worst := 0.0
	for _, c := range perSecond {
		worst = max(worst, 100*math.Abs(float64(c-r))/float64(r))
	}
	return float64(n) / window.Seconds(), worst
}
