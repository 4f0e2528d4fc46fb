package loadtest

import (
	"encoding/json"
	"testing"
	"time"
)

var zeroTime time.Time

// A result that crossed a process boundary as JSON merges exactly like
// the original: the parent's percentiles are those of all samples.
func TestResultMergeThroughJSON(t *testing.T) {
	a, b := NewResult(), NewResult()
	all := NewHist()
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * time.Millisecond
		if i%3 == 0 {
			b.Latency.Record(d)
		} else {
			a.Latency.Record(d)
		}
		all.Record(d)
	}
	a.Attempted, a.Established, b.Attempted, b.Established = 10, 8, 5, 5
	a.Rejected["429"], b.Rejected["429"], b.Rejected["503"] = 1, 2, 3
	a.DialErrors["refused"] = 1
	b.Disconnects["1008"] = 4
	a.Samples["rejected_429"], b.Samples["rejected_429"] = "first", "second"
	a.Deliveries, b.Deliveries = 667, 333
	a.FirstDeliveryNs, a.LastDeliveryNs, b.FirstDeliveryNs, b.LastDeliveryNs = 200, 900, 100, 800

	wire, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var b2 Result
	if err := json.Unmarshal(wire, &b2); err != nil {
		t.Fatal(err)
	}
	total := NewResult()
	total.Merge(a)
	total.Merge(&b2)

	if total.Attempted != 15 || total.Established != 13 || total.Deliveries != 1000 {
		t.Errorf("counters %+v", total)
	}
	if total.Rejected["429"] != 3 || total.Rejected["503"] != 3 || total.DialErrors["refused"] != 1 || total.Disconnects["1008"] != 4 {
		t.Errorf("maps %v %v %v", total.Rejected, total.DialErrors, total.Disconnects)
	}
	if total.Samples["rejected_429"] != "first" {
		t.Errorf("samples %v", total.Samples)
	}
	if total.FirstDeliveryNs != 100 || total.LastDeliveryNs != 900 {
		t.Errorf("delivery window %d..%d", total.FirstDeliveryNs, total.LastDeliveryNs)
	}
	if total.Latency.Count() != 1000 {
		t.Fatalf("latency count %d", total.Latency.Count())
	}
	for _, q := range []float64{50, 90, 99, 99.9, 100} {
		if got, want := total.Latency.Quantile(q), all.Quantile(q); got != want {
			t.Errorf("p%g = %v, want %v", q, got, want)
		}
	}
	rep := buildReport(Target{Transport: SSE}, 2, total, nil, nil, nil, zeroTime, zeroTime, zeroTime)
	m := rep.Metrics()
	if m["rejected"] != 6 || m["rejected_503"] != 3 || m["disconnects_1008"] != 4 || m["p50"] < 500 || m["p50"] > 500.5 {
		t.Errorf("metrics %v", m)
	}
}

func TestHistogramClampsAndRejectsGarbage(t *testing.T) {
	h := NewHist()
	h.Record(-time.Second)
	h.Record(time.Hour)
	if h.Count() != 2 || h.Max() < 9*time.Minute {
		t.Errorf("count %d max %v", h.Count(), h.Max())
	}
	var g Hist
	if err := json.Unmarshal([]byte(`"not a histogram"`), &g); err == nil {
		t.Error("garbage decoded")
	}
}

func TestScanTimestamps(t *testing.T) {
	var got []int64
	bad := scanTimestamps([]byte(`{"a":{"ts_ns": 123},"b":[{"ts_ns":"456"}],"ts_ns":null}{"ts_ns":789}`), func(ts int64) { got = append(got, ts) })
	if len(got) != 3 || got[0] != 123 || got[1] != 456 || got[2] != 789 || bad != 1 {
		t.Errorf("got %v bad %d", got, bad)
	}
	if n := scanTimestamps([]byte("hello"), func(int64) { t.Error("called") }); n != 0 {
		t.Error(n)
	}
}
