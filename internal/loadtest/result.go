package loadtest

// Result is what a fleet of connections measured. Workers send it to the
// parent as JSON; Merge combines them exactly (counters add up, histograms
// merge), so a run split over processes reports as if it were one.
type Result struct {
	Attempted   int64 `json:"attempted"`
	Established int64 `json:"established"`
	// Rejected counts handshakes the server answered with a non-success
	// HTTP status, by status code ("401", "429", …).
	Rejected map[string]int64 `json:"rejected"`
	// DialErrors counts connections that got no HTTP answer, by cause
	// ("refused", "timeout", "addr_not_avail", …).
	DialErrors map[string]int64 `json:"dial_errors"`
	// Disconnects counts established connections that ended before the run
	// did, by WebSocket close code ("1008") or cause ("eof", "reset").
	Disconnects map[string]int64 `json:"disconnects"`
	// Samples keeps one error message per kind ("rejected_429",
	// "dial_refused", "disconnect_eof") so a report explains its numbers.
	Samples map[string]string `json:"samples,omitempty"`

	Messages         int64 `json:"messages"`           // every message, of any kind
	KeepAlives       int64 `json:"keepalives"`         // empty WebSocket texts, SSE comments
	Deliveries       int64 `json:"deliveries"`         // "ts_ns" values found in messages
	BadTimestamps    int64 `json:"bad_timestamps"`     // "ts_ns" not followed by an integer
	ConnsWithMessage int64 `json:"conns_with_message"` // connections that received anything
	FirstDeliveryNs  int64 `json:"first_delivery_ns"`  // Unix ns of the first delivery, 0 if none
	LastDeliveryNs   int64 `json:"last_delivery_ns"`   // Unix ns of the last delivery

	Connect      *Hist `json:"connect"`       // dial start → handshake answered
	FirstMessage *Hist `json:"first_message"` // dial start → first message of any kind
	Latency      *Hist `json:"latency"`       // publish timestamp → receipt
}

// NewResult returns an empty result.
func NewResult() *Result {
	return &Result{
		Rejected: map[string]int64{}, DialErrors: map[string]int64{}, Disconnects: map[string]int64{},
		Samples: map[string]string{}, Connect: NewHist(), FirstMessage: NewHist(), Latency: NewHist(),
	}
}

// Merge adds o into r.
func (r *Result) Merge(o *Result) {
	r.Attempted += o.Attempted
	r.Established += o.Established
	addCounts(&r.Rejected, o.Rejected)
	addCounts(&r.DialErrors, o.DialErrors)
	addCounts(&r.Disconnects, o.Disconnects)
	for k, v := range o.Samples {
		if r.Samples == nil {
			r.Samples = map[string]string{}
		}
		if _, ok := r.Samples[k]; !ok {
			r.Samples[k] = v
		}
	}
	r.Messages += o.Messages
	r.KeepAlives += o.KeepAlives
	r.Deliveries += o.Deliveries
	r.BadTimestamps += o.BadTimestamps
	r.ConnsWithMessage += o.ConnsWithMessage
	if o.FirstDeliveryNs != 0 && (r.FirstDeliveryNs == 0 || o.FirstDeliveryNs < r.FirstDeliveryNs) {
		r.FirstDeliveryNs = o.FirstDeliveryNs
	}
	r.LastDeliveryNs = max(r.LastDeliveryNs, o.LastDeliveryNs)
	for _, p := range []struct {
		dst **Hist
		src *Hist
	}{{&r.Connect, o.Connect}, {&r.FirstMessage, o.FirstMessage}, {&r.Latency, o.Latency}} {
		if *p.dst == nil {
			*p.dst = NewHist()
		}
		(*p.dst).Merge(p.src)
	}
}

func addCounts(dst *map[string]int64, src map[string]int64) {
	if *dst == nil {
		*dst = map[string]int64{}
	}
	for k, v := range src {
		(*dst)[k] += v
	}
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// Progress is the live view of a fleet, cheap to take while it runs. The
// controller reads it for the progress line and to detect the end of
// deliveries; workers send theirs to the parent every few hundred ms.
type Progress struct {
	Attempted      int64 `json:"attempted"`
	Established    int64 `json:"established"`
	Rejected       int64 `json:"rejected"`
	DialErrors     int64 `json:"dial_errors"`
	Disconnects    int64 `json:"disconnects"`
	Messages       int64 `json:"messages"`
	Deliveries     int64 `json:"deliveries"`
	LastDeliveryNs int64 `json:"last_delivery_ns"`
}

// Add returns the sum of two progress values.
func (p Progress) Add(o Progress) Progress {
	return Progress{
		Attempted: p.Attempted + o.Attempted, Established: p.Established + o.Established,
		Rejected: p.Rejected + o.Rejected, DialErrors: p.DialErrors + o.DialErrors,
		Disconnects: p.Disconnects + o.Disconnects, Messages: p.Messages + o.Messages,
		Deliveries: p.Deliveries + o.Deliveries, LastDeliveryNs: max(p.LastDeliveryNs, o.LastDeliveryNs),
	}
}

// Open is the number of connections currently open.
func (p Progress) Open() int64 { return p.Established - p.Disconnects }
