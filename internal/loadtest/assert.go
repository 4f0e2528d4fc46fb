package loadtest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Assertion is one --assert bound, such as "p99<50ms" or "rejected_429==1".
type Assertion struct {
	Text   string  `json:"assertion"`
	Metric string  `json:"metric"`
	Op     string  `json:"op"`
	Value  float64 `json:"bound"` // in ms for time metrics
}

var assertRE = regexp.MustCompile(`^\s*([a-z][a-z0-9_]*)\s*(>=|<=|==|!=|=|>|<)\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zµ]*)\s*$`)

// Metric names: fixed ones, and families keyed by a status, cause or code.
var (
	plainMetrics = map[string]bool{
		"attempted": true, "established": true, "rejected": true, "dial_errors": true, "disconnects": true,
		"messages": true, "keepalives": true, "deliveries": true, "bad_timestamps": true, "conns_with_message": true,
		"expected_deliveries": true, "delivery_ratio": true, "messages_per_sec": true, "deliveries_per_sec": true,
		"publish_attempted": true, "publish_ok": true, "publish_skipped": true, "publish_errors": true,
		"mem_per_conn_kib": true, "ramp_sec": true,
	}
	keyedMetric = regexp.MustCompile(`^(rejected_[1-5][0-9][0-9]|dial_errors_[a-z_]+|disconnects_[a-z0-9_]+)$`)
	timeMetric  = regexp.MustCompile(`^(connect_|first_message_|publish_rtt_)?(p50|p90|p99|p999|max|mean)$`)
)

// IsTimeMetric reports whether a metric is a latency, in milliseconds.
func IsTimeMetric(name string) bool { return timeMetric.MatchString(name) }

// ParseAssertion parses "metric op value[unit]". Ops: >= <= == != > < (=
// means ==). Time metrics take a unit (ns, us, µs, ms, s, m; none means
// ms); others a plain number. An unknown metric is an error, so a typo
// fails before a long run rather than after it.
func ParseAssertion(s string) (Assertion, error) {
	m := assertRE.FindStringSubmatch(s)
	if m == nil {
		return Assertion{}, fmt.Errorf("assertion %q: want METRIC OP VALUE, e.g. 'p99<50ms' or 'established>=1000'", s)
	}
	a := Assertion{Text: strings.TrimSpace(s), Metric: m[1], Op: m[2]}
	if a.Op == "=" {
		a.Op = "=="
	}
	if !plainMetrics[a.Metric] && !keyedMetric.MatchString(a.Metric) && !IsTimeMetric(a.Metric) {
		return Assertion{}, fmt.Errorf("assertion %q: unknown metric %q (see 'evtctl loadtest --help')", s, a.Metric)
	}
	v, err := strconv.ParseFloat(m[3], 64)
	if err != nil {
		return Assertion{}, fmt.Errorf("assertion %q: bad number %q", s, m[3])
	}
	unit := m[4]
	if !IsTimeMetric(a.Metric) {
		if unit != "" {
			return Assertion{}, fmt.Errorf("assertion %q: %s is a count, not a duration; drop %q", s, a.Metric, unit)
		}
		a.Value = v
		return a, nil
	}
	scale := map[string]time.Duration{"": time.Millisecond, "ns": time.Nanosecond, "us": time.Microsecond, "µs": time.Microsecond,
		"ms": time.Millisecond, "s": time.Second, "m": time.Minute}
	d, ok := scale[unit]
	if !ok {
		return Assertion{}, fmt.Errorf("assertion %q: unknown unit %q (use ns, us, ms, s or m)", s, unit)
	}
	a.Value = v * float64(d) / float64(time.Millisecond)
	return a, nil
}

// Outcome is an evaluated assertion.
type Outcome struct {
	Assertion
	Actual  float64 `json:"actual"`
	Present bool    `json:"measured"`
	OK      bool    `json:"ok"`
}

// Check evaluates a on metrics. Keyed counters absent from the run
// (rejected_503 when nothing was rejected) are zero; any other absent
// metric fails the assertion: there was nothing to measure.
func (a Assertion) Check(metrics map[string]float64) Outcome {
	v, ok := metrics[a.Metric]
	if !ok && keyedMetric.MatchString(a.Metric) {
		v, ok = 0, true
	}
	o := Outcome{Assertion: a, Actual: v, Present: ok}
	if !ok {
		return o
	}
	switch a.Op {
	case ">=":
		o.OK = v >= a.Value
	case "<=":
		o.OK = v <= a.Value
	case ">":
		o.OK = v > a.Value
	case "<":
		o.OK = v < a.Value
	case "==":
		o.OK = v == a.Value
	case "!=":
		o.OK = v != a.Value
	}
	return o
}

// String describes an outcome in one line.
func (o Outcome) String() string {
	verdict := "ok  "
	if !o.OK {
		verdict = "FAIL"
	}
	if !o.Present {
		return fmt.Sprintf("%s %s: %s was not measured", verdict, o.Text, o.Metric)
	}
	return fmt.Sprintf("%s %s: %s = %s", verdict, o.Text, o.Metric, formatMetric(o.Metric, o.Actual))
}

func formatMetric(name string, v float64) string {
	if IsTimeMetric(name) {
		return strconv.FormatFloat(v, 'f', -1, 64) + "ms"
	}
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}
