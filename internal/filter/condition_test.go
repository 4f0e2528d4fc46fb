package filter_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/filter"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// soundRecord is the sound seed as stored, payload included.
func soundRecord(t testing.TB) store.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "seeds", "sound_event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	compact, _ := json.Marshal(v)
	return store.Record{Seq: 1, Address: store.Address{Family: "sound", Owner: "acme", DeviceID: soundMic, AgentID: soundEdge, EventType: soundLabel}, Data: compact}
}

func TestConditionCompileErrors(t *testing.T) {
	cases := []struct {
		src        string
		line, col  int
		reasonPart string
	}{
		{`event.confidence >=`, 1, 20, "mismatched input"},
		{`event.confidence`, 0, 0, "must be a boolean expression"},
		{`nope.x == 1`, 1, 1, "undeclared reference to 'nope'"},
		{"event.label_id == 'a' &&\n  event.x.bogus(", 2, 17, ""},
		{`family + 1 == 2`, 1, 8, "no matching overload"},
		{strings.Repeat("a", filter.MaxConditionBytes+1), 0, 0, "at most"},
		{"   ", 0, 0, "is empty"},
		{strings.Repeat("(", 200) + "true" + strings.Repeat(")", 200), 0, 0, ""},
	}
	for _, c := range cases {
		_, err := filter.Compile(c.src)
		var ce *filter.ConditionError
		if !errors.As(err, &ce) {
			t.Errorf("%.40q: err %v, want a ConditionError", c.src, err)
			continue
		}
		if c.line != 0 && (ce.Line != c.line || ce.Column != c.col) {
			t.Errorf("%.40q: at %d:%d, want %d:%d (%s)", c.src, ce.Line, ce.Column, c.line, c.col, ce.Reason)
		}
		if !strings.Contains(ce.Error(), c.reasonPart) {
			t.Errorf("%.40q: %q does not say %q", c.src, ce.Error(), c.reasonPart)
		}
	}
}

func TestConditionEval(t *testing.T) {
	rec := soundRecord(t)
	cases := []struct {
		src     string
		want    bool
		wantErr bool
	}{
		{`event.confidence >= 0.8 && event.label_id.startsWith("normal")`, true, false},
		{`event.confidence >= 0.95`, false, false},
		{`event.sound_level_threshold == 65`, true, false}, // JSON numbers are doubles; CEL compares across number types
		{`event.label.name.en.contains("female") && event.microphone.id in ["mic_001", "mic_002"]`, true, false},
		{`family == "sound" && type == "normal_speech_female"`, true, false},
		{`event.is_read == false && event.read_at == null`, true, false},
		{`has(event.missing) && event.missing > 1`, false, false},
		{`event.missing > 1`, false, true},                        // no such key: an error, so no match
		{`event.label_id > 1`, false, true},                       // a string is not a number
		{`"confidence" in event && size(event) > 3`, true, false}, // event used whole: decoded whole
		{`event["label_id"] == "normal_speech_female"`, true, false},
		{`event.audio_file.file_path.matches("^/audio/.*\\.wav$")`, true, false},
	}
	for _, c := range cases {
		cond, err := filter.Compile(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		got, err := cond.Eval(rec)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("%s: %v, %v; want %v (error %v)", c.src, got, err, c.want, c.wantErr)
		}
	}
}

// TestConditionCostLimit: an expression whose cost grows with the payload
// is stopped, not run to the end.
func TestConditionCostLimit(t *testing.T) {
	cond, err := filter.Compile(`event.items.all(a, event.items.all(b, event.items.all(c, a + b + c >= 0.0)))`)
	if err != nil {
		t.Fatal(err)
	}
	items := make([]float64, 200)
	data, _ := json.Marshal(map[string]any{"items": items})
	_, err = cond.Eval(store.Record{Address: store.Address{Family: "sound"}, Data: data})
	if err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Fatalf("err %v, want the cost limit", err)
	}
	if !cond.Tracked() {
		t.Error("an iteration over the payload must be metered")
	}
	if c, _ := filter.Compile(threeClauses); c.Tracked() {
		t.Error("three comparisons need no metering")
	}
	// A small payload stays under it.
	data, _ = json.Marshal(map[string]any{"items": items[:5]})
	if ok, err := cond.Eval(store.Record{Data: data}); !ok || err != nil {
		t.Fatalf("%v, %v", ok, err)
	}
}

func TestSetMatch(t *testing.T) {
	rec := soundRecord(t)
	compile := func(fs ...proto.EventFilter) *filter.Set {
		conds := make([]*filter.Condition, len(fs))
		for i, f := range fs {
			if f.Where != "" {
				c, err := filter.Compile(f.Where)
				if err != nil {
					t.Fatal(err)
				}
				conds[i] = c
			}
		}
		return filter.NewSet(fs, conds)
	}
	op := store.Record{Address: store.Address{Family: string(proto.FamilyOperational), Owner: "acme", EventType: proto.OpEndpointDisabled},
		Data: []byte(`{"type":"endpoint.disabled","endpoint_id":"ep1"}`)}
	var none *filter.Set
	if !none.Match(rec) || none.Match(op) {
		t.Fatal("no filters: every event but operational ones")
	}
	if !compile(proto.EventFilter{DeviceIDs: []string{soundMic}}).Match(rec) {
		t.Error("routing-only filter")
	}
	if compile(proto.EventFilter{DeviceIDs: []string{soundMic}, Where: `event.confidence > 0.99`}).Match(rec) {
		t.Error("condition must also hold")
	}
	if !compile(proto.EventFilter{DeviceIDs: []string{"other"}}, proto.EventFilter{Where: `event.confidence > 0.9`}).Match(rec) {
		t.Error("any filter passes")
	}
	// A condition whose evaluation fails does not match, and is counted.
	before := filter.EvalErrors.Load()
	if compile(proto.EventFilter{Where: `event.nothing == 1`}).Match(rec) {
		t.Error("an evaluation error matched")
	}
	if filter.EvalErrors.Load() != before+1 {
		t.Error("evaluation error not counted")
	}
	// A filter whose condition did not compile matches nothing.
	if filter.NewSet([]proto.EventFilter{{Where: "bad("}}, []*filter.Condition{nil}).Match(rec) {
		t.Error("an uncompiled condition matched")
	}
	// Operational events are opt-in by type.
	if compile(proto.EventFilter{}).Match(op) {
		t.Error("an empty filter passed an operational event")
	}
	if !compile(proto.EventFilter{EventTypes: []string{proto.OpEndpointDisabled}}).Match(op) {
		t.Error("a filter naming the type must pass it")
	}
	if !compile(proto.EventFilter{EventTypes: []string{proto.OpEndpointDisabled}, Where: `event.endpoint_id == "ep1" && family == "operational"`}).Match(op) {
		t.Error("conditions see operational payloads")
	}
}

// threeClauses is the condition of the performance figure.
const threeClauses = `event.confidence >= 0.8 && event.label_id.startsWith("normal") && event.sound_level > 60.0`

// BenchmarkConditionEval is one evaluation of a three-clause condition on
// a decoded event (the figure of docs/performance.md).
func BenchmarkConditionEval(b *testing.B) {
	cond, err := filter.Compile(threeClauses)
	if err != nil {
		b.Fatal(err)
	}
	rec := soundRecord(b)
	var obj map[string]any
	_ = json.Unmarshal(rec.Data, &obj)
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := cond.EvalObject(rec, obj); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkSetMatch compares an endpoint's match without and with a
// condition, payload decoding included.
func BenchmarkSetMatch(b *testing.B) {
	rec := soundRecord(b)
	routing := proto.EventFilter{DeviceIDs: []string{soundMic}, EventTypes: []string{soundLabel}}
	cond, _ := filter.Compile(threeClauses)
	withWhere := routing
	withWhere.Where = threeClauses
	b.Run("MatchAny", func(b *testing.B) { // the matching of routing fields before conditions existed
		fs := []proto.EventFilter{routing}
		b.ReportAllocs()
		for b.Loop() {
			if !filter.MatchAny(fs, filter.AttrsOf(rec)) {
				b.Fatal("no match")
			}
		}
	})
	for _, c := range []struct {
		name string
		set  *filter.Set
	}{
		{"routing", filter.NewSet([]proto.EventFilter{routing}, []*filter.Condition{nil})},
		{"condition", filter.NewSet([]proto.EventFilter{withWhere}, []*filter.Condition{cond})},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !c.set.Match(rec) {
					b.Fatal("no match")
				}
			}
		})
	}
}
