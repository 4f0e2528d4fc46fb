package loadtest

import (
	"math"
	"time"
)

// Report is the outcome of a run as the user reads it: in tables, in
// `-o json`, and through assertions (Metrics). Durations are in
// milliseconds.
type Report struct {
	Transport    string            `json:"transport"`
	URL          string            `json:"url"`
	Workers      int               `json:"workers"`
	RampSec      float64           `json:"ramp_sec"`     // start → every attempt answered
	DurationSec  float64           `json:"duration_sec"` // start → stop
	Connections  Connections       `json:"connections"`
	Connect      *Percentiles      `json:"connect_ms,omitempty"`
	FirstMessage *Percentiles      `json:"first_message_ms,omitempty"`
	Latency      *Percentiles      `json:"delivery_latency_ms,omitempty"`
	Messages     Messages          `json:"messages"`
	Publish      *PublishStat      `json:"publish,omitempty"`
	Memory       *Memory           `json:"server_memory,omitempty"`
	Samples      map[string]string `json:"error_samples,omitempty"`
	Assertions   []Outcome         `json:"assertions,omitempty"`
}

// Connections are the outcomes of connection attempts.
type Connections struct {
	Attempted         int64            `json:"attempted"`
	Established       int64            `json:"established"`
	Rejected          int64            `json:"rejected"`
	RejectedByStatus  map[string]int64 `json:"rejected_by_status"`
	DialErrors        int64            `json:"dial_errors"`
	DialErrorsByCause map[string]int64 `json:"dial_errors_by_cause"`
	Disconnects       int64            `json:"disconnects"`
	DisconnectsByCode map[string]int64 `json:"disconnects_by_code"`
}

// Messages counts what the connections received.
type Messages struct {
	Total              int64    `json:"total"`
	KeepAlives         int64    `json:"keepalives"`
	Deliveries         int64    `json:"deliveries"`
	ExpectedDeliveries int64    `json:"expected_deliveries,omitempty"`
	DeliveryRatio      *float64 `json:"delivery_ratio,omitempty"`
	BadTimestamps      int64    `json:"bad_timestamps"`
	ConnsWithMessage   int64    `json:"conns_with_message"`
	PerSec             float64  `json:"messages_per_sec"`
	DeliveriesPerSec   float64  `json:"deliveries_per_sec"`
}

// Percentiles summarise a histogram, in milliseconds.
type Percentiles struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// PublishStat is what the publisher did.
type PublishStat struct {
	URL       string            `json:"url"`
	Rate      float64           `json:"rate"`
	Attempted int64             `json:"attempted"`
	OK        int64             `json:"ok"`
	Skipped   int64             `json:"skipped"`
	Errors    map[string]int64  `json:"errors"`
	Samples   map[string]string `json:"error_samples,omitempty"`
	RTT       *Percentiles      `json:"rtt_ms,omitempty"`
	Sec       float64           `json:"sec"`
}

// Memory is the server's resident memory before the ramp and once every
// connection was established and idle.
type Memory struct {
	Source      string  `json:"source"` // "pid 1234" or the metrics URL
	BeforeBytes int64   `json:"before_bytes"`
	AfterBytes  int64   `json:"after_bytes"`
	PerConnKiB  float64 `json:"per_conn_kib"`
}

func summarize(h *Hist) *Percentiles {
	if h == nil || h.Count() == 0 {
		return nil // no data is not zero latency
	}
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	return &Percentiles{Count: h.Count(), P50: ms(h.Quantile(50)), P90: ms(h.Quantile(90)), P99: ms(h.Quantile(99)),
		P999: ms(h.Quantile(99.9)), Max: ms(h.Max()), Mean: ms(h.Mean())}
}

func orEmpty(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return m
}

// buildReport derives the report from the measurements.
func buildReport(t Target, workers int, res *Result, pub *PublishResult, pubOpts *Publish, mem *Memory, start, ramped, end time.Time) *Report {
	r := &Report{
		Transport: t.Transport, URL: t.URL, Workers: workers,
		RampSec: ramped.Sub(start).Seconds(), DurationSec: end.Sub(start).Seconds(),
		Connections: Connections{
			Attempted: res.Attempted, Established: res.Established,
			Rejected: sum(res.Rejected), RejectedByStatus: orEmpty(res.Rejected),
			DialErrors: sum(res.DialErrors), DialErrorsByCause: orEmpty(res.DialErrors),
			Disconnects: sum(res.Disconnects), DisconnectsByCode: orEmpty(res.Disconnects),
		},
		Connect: summarize(res.Connect), FirstMessage: summarize(res.FirstMessage), Latency: summarize(res.Latency),
		Messages: Messages{
			Total: res.Messages, KeepAlives: res.KeepAlives, Deliveries: res.Deliveries,
			BadTimestamps: res.BadTimestamps, ConnsWithMessage: res.ConnsWithMessage,
		},
		Memory:  mem,
		Samples: res.Samples,
	}
	if ramped.IsZero() {
		r.RampSec = 0
	}
	if d := end.Sub(start).Seconds(); d > 0 {
		r.Messages.PerSec = float64(res.Messages) / d
	}
	if pub != nil {
		r.Publish = &PublishStat{URL: pubOpts.URL, Rate: pubOpts.Rate, Attempted: pub.Attempted, OK: pub.OK, Skipped: pub.Skipped,
			Errors: pub.Errors, Samples: pub.Samples, RTT: summarize(pub.RTT), Sec: pub.End.Sub(pub.Start).Seconds()}
		// Every established subscriber should get every attempted publish
		// (a timed-out request may still have been stored and delivered).
		r.Messages.ExpectedDeliveries = pub.Attempted * res.Established
		if r.Messages.ExpectedDeliveries > 0 {
			ratio := float64(res.Deliveries) / float64(r.Messages.ExpectedDeliveries)
			r.Messages.DeliveryRatio = &ratio
		}
		// The delivery window runs from the first publish to the end of
		// publishing or the last delivery, whichever is later.
		window := pub.End.Sub(pub.Start)
		if last := time.Unix(0, res.LastDeliveryNs); res.LastDeliveryNs != 0 && last.Sub(pub.Start) > window {
			window = last.Sub(pub.Start)
		}
		if window > 0 {
			r.Messages.DeliveriesPerSec = float64(res.Deliveries) / window.Seconds()
		}
	}
	return r
}

// Assert evaluates the assertions on the report, records the outcomes in
// it and returns those that failed.
func (r *Report) Assert(as []Assertion) (failed []Outcome) {
	m := r.Metrics()
	r.Assertions = nil
	for _, a := range as {
		o := a.Check(m)
		r.Assertions = append(r.Assertions, o)
		if !o.OK {
			failed = append(failed, o)
		}
	}
	return failed
}

// Metrics flattens the report for assertions. Latencies are in ms. A
// metric without data (no deliveries, no memory probe) is absent, so that
// an assertion on it fails instead of passing on a zero.
func (r *Report) Metrics() map[string]float64 {
	c := r.Connections
	m := map[string]float64{
		"attempted": float64(c.Attempted), "established": float64(c.Established),
		"rejected": float64(c.Rejected), "dial_errors": float64(c.DialErrors), "disconnects": float64(c.Disconnects),
		"messages": float64(r.Messages.Total), "keepalives": float64(r.Messages.KeepAlives),
		"deliveries": float64(r.Messages.Deliveries), "bad_timestamps": float64(r.Messages.BadTimestamps),
		"conns_with_message": float64(r.Messages.ConnsWithMessage),
		"messages_per_sec":   r.Messages.PerSec, "ramp_sec": r.RampSec,
	}
	for k, v := range c.RejectedByStatus {
		m["rejected_"+k] = float64(v)
	}
	for k, v := range c.DialErrorsByCause {
		m["dial_errors_"+k] = float64(v)
	}
	for k, v := range c.DisconnectsByCode {
		m["disconnects_"+k] = float64(v)
	}
	addPercentiles(m, "connect_", r.Connect)
	addPercentiles(m, "first_message_", r.FirstMessage)
	addPercentiles(m, "", r.Latency)
	if p := r.Publish; p != nil {
		m["publish_attempted"], m["publish_ok"], m["publish_skipped"] = float64(p.Attempted), float64(p.OK), float64(p.Skipped)
		m["publish_errors"] = float64(sum(p.Errors))
		m["expected_deliveries"] = float64(r.Messages.ExpectedDeliveries)
		m["deliveries_per_sec"] = r.Messages.DeliveriesPerSec
		if r.Messages.DeliveryRatio != nil {
			m["delivery_ratio"] = *r.Messages.DeliveryRatio
		}
		addPercentiles(m, "publish_rtt_", p.RTT)
	}
	if r.Memory != nil {
		m["mem_per_conn_kib"] = r.Memory.PerConnKiB
	}
	return m
}

func addPercentiles(m map[string]float64, prefix string, p *Percentiles) {
	if p == nil {
		return
	}
	m[prefix+"p50"], m[prefix+"p90"], m[prefix+"p99"], m[prefix+"p999"] = p.P50, p.P90, p.P99, p.P999
	m[prefix+"max"], m[prefix+"mean"] = p.Max, p.Mean
}
