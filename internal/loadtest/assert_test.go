package loadtest

import (
	"testing"

	"github.com/evtctl/evtctl/internal/testkit"
)

func TestParseAssertion(t *testing.T) {
	for _, tc := range []struct {
		in     string
		metric string
		op     string
		value  float64
		err    string
	}{
		{in: "established>=1000", metric: "established", op: ">=", value: 1000},
		{in: "p99<50ms", metric: "p99", op: "<", value: 50},
		{in: " p99 < 0.5s ", metric: "p99", op: "<", value: 500},
		{in: "connect_p999<=250us", metric: "connect_p999", op: "<=", value: 0.25},
		{in: "max<2", metric: "max", op: "<", value: 2}, // no unit: ms
		{in: "rejected_429==1", metric: "rejected_429", op: "==", value: 1},
		{in: "rejected_429=1", metric: "rejected_429", op: "==", value: 1},
		{in: "disconnects_1008!=0", metric: "disconnects_1008", op: "!=", value: 0},
		{in: "dial_errors_refused==0", metric: "dial_errors_refused", op: "==", value: 0},
		{in: "delivery_ratio>0.999", metric: "delivery_ratio", op: ">", value: 0.999},
		{in: "mem_per_conn_kib<64", metric: "mem_per_conn_kib", op: "<", value: 64},
		{in: "establishd>=1", err: "unknown metric"},
		{in: "rejected_999==0", err: "unknown metric"},
		{in: "established>=10ms", err: "is a count"},
		{in: "p99<5h", err: "unknown unit"},
		{in: "p99", err: "want METRIC OP VALUE"},
		{in: "p99<<5", err: "want METRIC OP VALUE"},
	} {
		a, err := ParseAssertion(tc.in)
		if !testkit.CheckErr(t, tc.in, err, tc.err) {
			continue
		}
		if a.Metric != tc.metric || a.Op != tc.op || a.Value != tc.value {
			t.Errorf("%q: got %s %s %g", tc.in, a.Metric, a.Op, a.Value)
		}
	}
}

func TestAssertionCheck(t *testing.T) {
	metrics := map[string]float64{"established": 10, "rejected": 1, "rejected_429": 1, "p99": 73.2}
	for _, tc := range []struct {
		in      string
		ok      bool
		present bool
	}{
		{"established==10", true, true},
		{"established>=1000", false, true},
		{"established!=10", false, true},
		{"rejected_429==1", true, true},
		{"rejected_503==0", true, true}, // absent keyed counter: zero
		{"rejected_503>0", false, true},
		{"p99<50ms", false, true},
		{"p99<0.1s", true, true},
		{"p99>73.2", false, true},
		{"p99>=73.2", true, true},
		{"connect_p99<1s", false, false}, // no sample: fails
		{"mem_per_conn_kib<100", false, false},
	} {
		a, err := ParseAssertion(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		o := a.Check(metrics)
		if o.OK != tc.ok || o.Present != tc.present {
			t.Errorf("%s: ok=%v present=%v (%s)", tc.in, o.OK, o.Present, o)
		}
	}
}

func TestReportAssertRecordsOutcomes(t *testing.T) {
	rep := buildReport(Target{Transport: WS}, 1, NewResult(), nil, nil, nil, zeroTime, zeroTime, zeroTime)
	a1, _ := ParseAssertion("established==0")
	a2, _ := ParseAssertion("p99<50ms")
	failed := rep.Assert([]Assertion{a1, a2})
	if len(failed) != 1 || failed[0].Metric != "p99" || len(rep.Assertions) != 2 {
		t.Fatalf("failed %+v, recorded %+v", failed, rep.Assertions)
	}
	if s := failed[0].String(); s != "FAIL p99<50ms: p99 was not measured" {
		t.Errorf("outcome text %q", s)
	}
}
