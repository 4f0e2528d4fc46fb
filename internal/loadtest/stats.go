package loadtest

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// histShards: enough that recording rarely waits, few enough that merging
// and the memory of the histograms (~200 KiB each) stay small.
const histShards = 16

// stats is the live, concurrent side of a Result: connection goroutines
// update it, Progress and result read it.
type stats struct {
	attempted, established, rejected, dialErrors, disconnects atomic.Int64
	messages, keepAlives, deliveries, badTS, withMessage      atomic.Int64
	firstDelivery, lastDelivery                               atomic.Int64

	mu       sync.Mutex
	rejectBy map[string]int64
	errBy    map[string]int64
	discBy   map[string]int64
	samples  map[string]string

	connect, firstMessage, latency *shardedHist
}

func newStats() *stats {
	return &stats{
		rejectBy: map[string]int64{}, errBy: map[string]int64{}, discBy: map[string]int64{}, samples: map[string]string{},
		connect: newShardedHist(histShards), firstMessage: newShardedHist(histShards), latency: newShardedHist(histShards),
	}
}

func (s *stats) count(m map[string]int64, key, sampleKey string, err error) {
	s.mu.Lock()
	m[key]++
	if _, ok := s.samples[sampleKey]; !ok && err != nil {
		msg := err.Error()
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		s.samples[sampleKey] = msg
	}
	s.mu.Unlock()
}

// rejectedStatus records a handshake answered with an HTTP error status.
func (s *stats) rejectedStatus(status int, err error) {
	s.rejected.Add(1)
	k := strconv.Itoa(status)
	s.count(s.rejectBy, k, "rejected_"+k, err)
}

// dialError records a connection attempt that got no HTTP answer.
func (s *stats) dialError(cause string, err error) {
	s.dialErrors.Add(1)
	s.count(s.errBy, cause, "dial_"+cause, err)
}

// disconnected records an established connection ended by the server or
// the network.
func (s *stats) disconnected(cause string, err error) {
	s.disconnects.Add(1)
	s.count(s.discBy, cause, "disconnect_"+cause, err)
}

// delivered records one timestamped message received at now.
func (s *stats) delivered(conn int, now time.Time, tsNs int64) {
	s.deliveries.Add(1)
	s.latency.record(conn, now.Sub(time.Unix(0, tsNs)))
	n := now.UnixNano()
	s.firstDelivery.CompareAndSwap(0, n)
	for last := s.lastDelivery.Load(); n > last && !s.lastDelivery.CompareAndSwap(last, n); last = s.lastDelivery.Load() {
	}
}

func (s *stats) progress() Progress {
	return Progress{
		Attempted: s.attempted.Load(), Established: s.established.Load(), Rejected: s.rejected.Load(),
		DialErrors: s.dialErrors.Load(), Disconnects: s.disconnects.Load(), Messages: s.messages.Load(),
		Deliveries: s.deliveries.Load(), LastDeliveryNs: s.lastDelivery.Load(),
	}
}

// result copies the counters into a Result.
func (s *stats) result() *Result {
	r := NewResult()
	r.Attempted, r.Established = s.attempted.Load(), s.established.Load()
	s.mu.Lock()
	addCounts(&r.Rejected, s.rejectBy)
	addCounts(&r.DialErrors, s.errBy)
	addCounts(&r.Disconnects, s.discBy)
	for k, v := range s.samples {
		r.Samples[k] = v
	}
	s.mu.Unlock()
	r.Messages, r.KeepAlives, r.Deliveries = s.messages.Load(), s.keepAlives.Load(), s.deliveries.Load()
	r.BadTimestamps, r.ConnsWithMessage = s.badTS.Load(), s.withMessage.Load()
	r.FirstDeliveryNs, r.LastDeliveryNs = s.firstDelivery.Load(), s.lastDelivery.Load()
	r.Connect, r.FirstMessage, r.Latency = s.connect.merged(), s.firstMessage.merged(), s.latency.merged()
	return r
}
