package loadtest

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histograms record microseconds from 1 µs to 10 minutes with 3
// significant digits; larger values are clamped to the ceiling (a delivery
// 10 minutes late is a failed run whatever its exact value).
const (
	histMinUS = 1
	histMaxUS = int64(10 * time.Minute / time.Microsecond)
	histSig   = 3
)

// Hist is a latency histogram that can be merged and sent between
// processes (as the standard HdrHistogram V2 compressed, base64 encoding).
// It is not safe for concurrent use; see shardedHist.
type Hist struct{ h *hdrhistogram.Histogram }

// NewHist returns an empty histogram.
func NewHist() *Hist { return &Hist{h: hdrhistogram.New(histMinUS, histMaxUS, histSig)} }

// Record adds one duration.
func (h *Hist) Record(d time.Duration) {
	us := min(max(d.Microseconds(), histMinUS), histMaxUS)
	_ = h.h.RecordValue(us) // in range by construction
}

// Merge adds every value of o.
func (h *Hist) Merge(o *Hist) {
	if o != nil && o.h != nil {
		h.h.Merge(o.h)
	}
}

// Count is the number of recorded values.
func (h *Hist) Count() int64 { return h.h.TotalCount() }

// Quantile returns the value at percentile q (0–100).
func (h *Hist) Quantile(q float64) time.Duration {
	return time.Duration(h.h.ValueAtQuantile(q)) * time.Microsecond
}

// Max returns the largest recorded value.
func (h *Hist) Max() time.Duration { return time.Duration(h.h.Max()) * time.Microsecond }

// Mean returns the mean.
func (h *Hist) Mean() time.Duration { return time.Duration(h.h.Mean() * float64(time.Microsecond)) }

// MarshalJSON encodes the histogram as a JSON string.
func (h *Hist) MarshalJSON() ([]byte, error) {
	b, err := h.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, err
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (h *Hist) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	h.h = d
	return nil
}

// shardedHist lets thousands of connection goroutines record without all
// contending for one lock: connection i records into shard i%len.
type shardedHist struct {
	shards []lockedHist
}

type lockedHist struct {
	mu sync.Mutex
	h  *Hist
}

func newShardedHist(n int) *shardedHist {
	s := &shardedHist{shards: make([]lockedHist, n)}
	for i := range s.shards {
		s.shards[i].h = NewHist()
	}
	return s
}

func (s *shardedHist) record(i int, d time.Duration) {
	sh := &s.shards[i%len(s.shards)]
	sh.mu.Lock()
	sh.h.Record(d)
	sh.mu.Unlock()
}

// merged returns one histogram of every shard's values.
func (s *shardedHist) merged() *Hist {
	out := NewHist()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		out.Merge(sh.h)
		sh.mu.Unlock()
	}
	return out
}
