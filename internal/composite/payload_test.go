package composite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Seeds are the edge audio box's examples (testdata/seeds/README.md).
func seed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/seeds/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// SeedSound returns the seed sound event with another id and
// created_at, compacted as the log stores it.
func SeedSound(t testing.TB, id string, created time.Time) []byte {
	t.Helper()
	s := string(seed(t, "sound_event.json"))
	s = strings.Replace(s, `"id": "evt_001"`, fmt.Sprintf("%q: %q", "id", id), 1)
	s = strings.Replace(s, `"created_at": "2026-03-26T09:00:00Z"`, fmt.Sprintf("%q: %q", "created_at", created.Format(time.RFC3339)), 1)
	return proto.AppendCompact(nil, []byte(s))
}

// docRule is the rule of the seed composite.
func docRule() proto.Rule {
	return proto.Rule{ID: "rule_001", Owner: "acme", Name: "Repeated Speech Cluster",
		Description: "Groups repeated speech events within the same window", WindowSeconds: 30, MinEvents: 3,
		Enabled: true, GroupBy: proto.GroupByLabel, IncludeLabelIDs: []string{"normal_speech_female"},
		IncludeMicIDs: []string{"mic_001", "mic_002"}}
}

// docVariable are the payload members that differ between the seed
// composite and a composite of other events: ids and times.
var docVariable = map[string]bool{"id": true, "started_at": true, "events[].id": true, "events[].created_at": true}

// CompareWithDocument checks that payload has the shape of the seed
// composite (docs/sources.md#composite-payload): same members in the same order at every level, same
// values except ids and times; every element of events, mics and labels is
// compared with the example's first.
func CompareWithDocument(t testing.TB, payload []byte) {
	t.Helper()
	var want bytes.Buffer
	if err := json.Compact(&want, seed(t, "composite_event.json")); err != nil {
		t.Fatal(err)
	}
	if err := sameShape("", payload, want.Bytes()); err != nil {
		t.Fatalf("payload differs from the seed composite: %v\npayload: %s", err, payload)
	}
}

func sameShape(path string, got, want []byte) error {
	got, want = bytes.TrimSpace(got), bytes.TrimSpace(want)
	switch {
	case len(want) > 0 && want[0] == '{':
		gm, err := members(got)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		wm, _ := members(want)
		if len(gm) != len(wm) {
			return fmt.Errorf("%s: members %v, want %v", path, names(gm), names(wm))
		}
		for i := range wm {
			if gm[i].name != wm[i].name {
				return fmt.Errorf("%s: members %v, want %v", path, names(gm), names(wm))
			}
			p := wm[i].name
			if path != "" {
				p = path + "." + p
			}
			if err := sameShape(p, gm[i].raw, wm[i].raw); err != nil {
				return err
			}
		}
		return nil
	case len(want) > 0 && want[0] == '[':
		var ga, wa []json.RawMessage
		if err := json.Unmarshal(got, &ga); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		_ = json.Unmarshal(want, &wa)
		if len(wa) == 0 || len(ga) == 0 {
			if len(wa) != len(ga) {
				return fmt.Errorf("%s: %d elements, want %d", path, len(ga), len(wa))
			}
			return nil
		}
		for i := range ga {
			w := wa[min(i, len(wa)-1)]
			if !bytes.HasPrefix(bytes.TrimSpace(w), []byte("{")) {
				w = wa[i%len(wa)] // scalar lists (include_*_ids) compare element-wise
				if len(ga) != len(wa) {
					return fmt.Errorf("%s: %s, want %s", path, got, want)
				}
			}
			if err := sameShape(path+"[]", ga[i], w); err != nil {
				return err
			}
		}
		return nil
	default:
		if docVariable[path] {
			if (got[0] == '"') != (want[0] == '"') {
				return fmt.Errorf("%s: %s is not of the kind of %s", path, got, want)
			}
			return nil
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%s: %s, want %s", path, got, want)
		}
		return nil
	}
}

func names(m objMembers) []string {
	out := make([]string, len(m))
	for i, x := range m {
		out[i] = x.name
	}
	return out
}

// The seed sound event, three times within 30 s, through the seed rule
// gives the seed composite, field by field.
func TestPayloadMatchesDocument000(t *testing.T) {
	e := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
	e.PutRule(docRule())
	var out []Emission
	for i, off := range []time.Duration{0, 12 * time.Second, 30 * time.Second} {
		data := SeedSound(t, fmt.Sprintf("evt_%03d", i+1), t0.Add(off))
		evt, err := FromRecord(store.Record{Data: data})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Add("acme", evt)...)
	}
	if len(out) != 1 {
		t.Fatalf("%d composites, want 1", len(out))
	}
	payload, err := Payload(&out[0])
	if err != nil {
		t.Fatal(err)
	}
	CompareWithDocument(t, payload)
	// The events are embedded byte for byte, in time order.
	var c struct {
		Events    []json.RawMessage `json:"events"`
		StartedAt string            `json:"started_at"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	for i, ev := range out[0].Events {
		if !bytes.Equal(c.Events[i], ev.Data) {
			t.Fatalf("event %d changed:\n%s\n%s", i, c.Events[i], ev.Data)
		}
	}
	if c.StartedAt != "2026-03-26T09:00:00Z" {
		t.Fatalf("started_at %s", c.StartedAt)
	}
	if _, errs := proto.Extract(proto.FamilyComposite, payload); len(errs) > 0 {
		t.Fatalf("the payload does not pass ingest validation: %v", errs)
	}
}

// Edge cases of mics and labels: events without embedded objects, several
// microphones in first-seen order described by their newest event, a
// non-active status, and characters encoding/json would escape.
func TestPayloadMicsAndLabels(t *testing.T) {
	mk := func(id, mic string, sec int, extra string) *Event {
		data := fmt.Sprintf(`{"id":%q,"created_at":"2026-03-26T09:00:%02dZ","label_id":"l<1>","mic_id":%q%s}`, id, sec, mic, extra)
		evt, err := FromRecord(store.Record{Data: []byte(data)})
		if err != nil {
			t.Fatal(err)
		}
		return evt
	}
	em := Emission{ID: "composite_evt_x", GroupKey: "edge-01:l<1>", Rule: testRule("r1", 30, 3),
		Events: []*Event{
			mk("a", "m2", 0, `,"microphone":{"thresholds":{},"status":"active","id":"m2","vendor":1}`),
			mk("b", "m1", 1, ""),
			mk("c", "m2", 2, `,"microphone":{"id":"m2","status":"offline"},"label":{"id":"l<1>","active":true}`),
		}}
	payload, err := Payload(&em)
	if err != nil {
		t.Fatal(err)
	}
	want := `"mics":[{"id":"m2","status":"offline","edge_status":"offline"},{"id":"m1","edge_status":"active"}],"labels":[{"id":"l<1>","active":true}]`
	if !bytes.Contains(payload, []byte(want)) {
		t.Fatalf("payload %s\nwant it to contain %s", payload, want)
	}
	if !bytes.Contains(payload, em.Events[0].Data) {
		t.Fatalf("event a not embedded byte for byte: %s", payload)
	}
}
