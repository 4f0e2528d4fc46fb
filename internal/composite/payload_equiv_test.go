package composite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// referencePayload is the composite renderer as it was before Payload
// appended its output directly: a proto.Composite encoded by encoding/json
// (HTML escaping off), objects split with json.Decoder tokens. Payload must
// write exactly its bytes.
func referencePayload(em *Emission) ([]byte, error) {
	r := em.Rule
	cr := proto.CompositeRule{
		ID: r.ID, Name: r.Name, Description: r.Description,
		WindowSeconds: r.WindowSeconds, MinEvents: r.MinEvents, Enabled: r.Enabled,
		GroupBy: r.GroupBy, IncludeLabelIDs: r.IncludeLabelIDs, IncludeMicIDs: r.IncludeMicIDs,
	}
	if r.CooldownSeconds > 0 {
		cr.Extra = map[string]json.RawMessage{"cooldown_seconds": json.RawMessage(strconv.Itoa(r.CooldownSeconds))}
	}
	c := proto.Composite{ID: em.ID, GroupKey: em.GroupKey, Rule: cr,
		Events: make([]json.RawMessage, len(em.Events)), StartedAt: em.StartedAt().Format(time.RFC3339Nano)}
	type newest struct {
		obj json.RawMessage
		t   int64
	}
	var micOrder, labelOrder []string
	mics, labels := map[string]*newest{}, map[string]*newest{}
	for i, ev := range em.Events {
		c.Events[i] = ev.Data
		m, err := referenceMembers(ev.Data)
		if err != nil {
			return nil, err
		}
		note := func(seen map[string]*newest, order *[]string, id string, obj json.RawMessage) {
			if n := seen[id]; n == nil {
				seen[id] = &newest{obj, ev.Time}
				*order = append(*order, id)
			} else if ev.Time >= n.t && obj != nil {
				*n = newest{obj, ev.Time}
			}
		}
		note(mics, &micOrder, ev.MicID, objectOrNil(m.get("microphone")))
		note(labels, &labelOrder, ev.LabelID, objectOrNil(m.get("label")))
	}
	for _, id := range micOrder {
		var m objMembers
		if raw := mics[id].obj; raw != nil {
			var err error
			if m, err = referenceMembers(raw); err != nil {
				return nil, err
			}
		}
		var b bytes.Buffer
		b.WriteByte('{')
		if m.get("id") == nil {
			b.WriteString(`"id":`)
			referenceString(&b, id)
			b.WriteByte(',')
		}
		for _, name := range micFields {
			if v := m.get(name); v != nil {
				referenceString(&b, name)
				b.WriteByte(':')
				b.Write(v)
				b.WriteByte(',')
			}
		}
		status := "active"
		var s string
		if v := m.get("status"); v != nil && json.Unmarshal(v, &s) == nil && s != "" {
			status = s
		}
		b.WriteString(`"edge_status":`)
		referenceString(&b, status)
		b.WriteByte('}')
		c.Mics = append(c.Mics, b.Bytes())
	}
	for _, id := range labelOrder {
		l := labels[id].obj
		if l == nil {
			l, _ = json.Marshal(map[string]string{"id": id})
		}
		c.Labels = append(c.Labels, l)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func referenceString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1)
}

func referenceMembers(data []byte) (objMembers, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var out objMembers
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		out = append(out, objMember{name, raw})
	}
	return out, nil
}

func samePayload(t *testing.T, em *Emission) {
	t.Helper()
	want, werr := referencePayload(em)
	got, gerr := Payload(em)
	if werr != nil {
		// The reference also validated; Payload relies on proto.Extract
		// having done so on ingest. Either way no panic.
		return
	}
	if gerr != nil {
		t.Fatalf("Payload: %v (reference rendered %s)", gerr, want)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Payload differs from encoding/json:\n got %s\nwant %s", got, want)
	}
}

// Payload writes what encoding/json wrote, on the seed composite and on
// variations that exercise every escaping path: non-ASCII, control
// characters, U+2028, invalid UTF-8, HTML characters, escaped member names,
// whitespace inside stored events, labels without objects, cooldowns.
func TestPayloadSameBytesAsEncodingJSON(t *testing.T) {
	seedEvents := func(n int) []*Event {
		var out []*Event
		for i := range n {
			evt, err := FromRecord(store.Record{Data: SeedSound(t, fmt.Sprintf("evt_%03d", i), t0.Add(time.Duration(i)*time.Second))})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, evt)
		}
		return out
	}
	odd := []string{"plain", "é<&>", "tab\there", "nl\n\"q\"\\", "line\u2028sep", "bad\xffutf8", "\x01\x1f", ""}
	for i, s := range odd {
		r := docRule()
		r.Name, r.Description, r.GroupBy = s, s+s, s
		r.IncludeLabelIDs = []string{s, "x"}
		if i%2 == 0 {
			r.IncludeMicIDs = nil
			r.CooldownSeconds = 60
		}
		em := Emission{ID: "composite_" + s, GroupKey: "edge-01:" + s, Rule: r, Events: seedEvents(3)}
		samePayload(t, &em)
		em.Events[1].MicID, em.Events[2].LabelID = s, s
		samePayload(t, &em)
	}
	raw := []string{
		`{"id":"a","microphone":{"id":"m\u0031","status":"off\u00e9","name":"<b>&"},"label":null}`,
		`{ "id" : "a" , "microphone" : { "status" : "x y" , "host" : [1, 2, {"a": "b"}] } , "label" : { "id" : "l" } }`,
		`{"id":"a","micro\u0070hone":{"status":"esc name"},"label":{"id":"l\u2028"}}`,
		`{"id":"a","microphone":{"status":7},"microphone":{"status":"second"}}`,
		`{"id":"a","microphone":{"status":"","id":"z","deleted_at":null,"connected":false,"channel":-1.5e3}}`,
		`{"id":"a","microphone":"not an object","label":[1]}`,
		`{"id":"a","microphone":{"status":"caf` + "\xe9" + `"}}`,
		`{}`,
	}
	for i, r := range raw {
		em := Emission{ID: "c", GroupKey: "g", Rule: docRule(), Events: []*Event{
			{ID: "a", MicID: "m" + strconv.Itoa(i%2), LabelID: "l<>", Time: 5, Data: []byte(r)},
			{ID: "b", MicID: "m1", LabelID: "l2", Time: 3, Data: []byte(r)},
		}}
		samePayload(t, &em)
	}
	// Many distinct microphones: the index past 16 keeps first-seen order
	// and the newest description.
	var many []*Event
	for i := range 40 {
		many = append(many, &Event{ID: "e", MicID: "m" + strconv.Itoa(i%25), LabelID: "l" + strconv.Itoa(i%3), Time: int64(i % 7),
			Data: fmt.Appendf(nil, `{"microphone":{"id":"m%d","status":"s%d"},"label":{"id":"l%d","n":%d}}`, i%25, i, i%3, i)})
	}
	samePayload(t, &Emission{ID: "c", GroupKey: "g", Rule: docRule(), Events: many})
}

// FuzzPayloadSameBytesAsEncodingJSON renders two events of fuzzed bodies,
// ids and rule text through both renderers.
func FuzzPayloadSameBytesAsEncodingJSON(f *testing.F) {
	f.Add(string(SeedSound(f, "evt_001", t0)), "mic_001", "normal_speech_female", "Repeated Speech Cluster", 0)
	f.Add(`{"microphone":{"status":"a\u2028"},"label":{"id":"<"}}`, "m<", "l&", "n\x00", 30)
	f.Add(`{ "microphone" : { "id" : "m" , "status" : "off" } }`, "é", "\xff", "", 1)
	f.Fuzz(func(t *testing.T, data, mic, label, name string, cooldown int) {
		if !json.Valid([]byte(data)) {
			return
		}
		r := docRule()
		r.Name, r.Description, r.CooldownSeconds = name, label+name, cooldown
		r.IncludeMicIDs = []string{mic}
		em := Emission{ID: "c" + name, GroupKey: mic + ":" + label, Rule: r, Events: []*Event{
			{ID: "a", MicID: mic, LabelID: label, Time: 2, Data: []byte(data)},
			{ID: "b", MicID: "m2", LabelID: label, Time: 1, Data: []byte(data)},
		}}
		samePayload(t, &em)
	})
}

// BenchmarkPayloadReference is BenchmarkPayload through the encoding/json
// renderer, for a before/after ratio in one run.
func BenchmarkPayloadReference(b *testing.B) {
	benchmarkPayload(b, referencePayload)
}

// objMembers are the members of a JSON object in document order, values raw.
type objMembers []objMember

type objMember struct {
	name string
	raw  json.RawMessage
}

func (m objMembers) get(name string) json.RawMessage {
	for _, x := range m {
		if x.name == name {
			return x.raw
		}
	}
	return nil
}

// members splits a JSON object with eachMember, names as strings (the
// shape comparisons of payload_test.go).
func members(data []byte) (objMembers, error) {
	var out objMembers
	_, err := eachMember(data, func(name, raw []byte) { out = append(out, objMember{string(name), raw}) })
	return out, err
}
