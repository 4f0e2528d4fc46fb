package composite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

// micFields are the members of a composite's mics[] entries, in document
// 000's order (which is not the order of the microphone embedded in an
// event). edge_status follows them. Other members of the microphone
// (thresholds, vendor extensions) stay in events[].microphone only.
var micFields = []string{
	"id", "name", "host", "subnet_mask", "mac_address", "microphone_type", "channel", "console",
	"location", "streaming", "recording", "status", "created_at", "updated_at", "deleted_at",
	"reported_at", "connected", "edge_id",
}

// Payload renders an emission as the composite payload of
// docs/sources.md#composite-payload: id,
// group_key, rule, events (as stored, in time order), mics (distinct
// microphones with edge_status), labels (distinct labels), started_at.
func Payload(em *Emission) ([]byte, error) {
	c := proto.Composite{
		ID:        em.ID,
		GroupKey:  em.GroupKey,
		Rule:      snapshot(em.Rule),
		Events:    make([]json.RawMessage, len(em.Events)),
		StartedAt: em.StartedAt().Format(time.RFC3339Nano),
	}
	// Distinct microphones and labels in order of first appearance, each
	// described by the newest event that carries it (its status may have
	// changed within the window).
	type newest struct {
		obj json.RawMessage
		t   int64
	}
	var micOrder, labelOrder []string
	mics, labels := map[string]*newest{}, map[string]*newest{}
	for i, ev := range em.Events {
		c.Events[i] = ev.Data
		m, err := members(ev.Data)
		if err != nil {
			return nil, fmt.Errorf("composite %s: event %s: %w", em.ID, ev.ID, err)
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
		mic, err := micEntry(id, mics[id].obj)
		if err != nil {
			return nil, fmt.Errorf("composite %s: microphone %s: %w", em.ID, id, err)
		}
		c.Mics = append(c.Mics, mic)
	}
	for _, id := range labelOrder {
		l := labels[id].obj
		if l == nil { // the events carried only label_id
			l, _ = json.Marshal(map[string]string{"id": id})
		}
		c.Labels = append(c.Labels, l)
	}
	// Not json.Marshal: it would escape <, > and & inside the embedded
	// events, which must stay byte for byte as ingested.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// snapshot is the rule as embedded in a composite: the rule object of
// docs/sources.md#rule-object, plus cooldown_seconds when the rule has one.
func snapshot(r proto.Rule) proto.CompositeRule {
	cr := proto.CompositeRule{
		ID: r.ID, Name: r.Name, Description: r.Description,
		WindowSeconds: r.WindowSeconds, MinEvents: r.MinEvents, Enabled: r.Enabled,
		GroupBy: r.GroupBy, IncludeLabelIDs: r.IncludeLabelIDs, IncludeMicIDs: r.IncludeMicIDs,
	}
	if r.CooldownSeconds > 0 {
		cr.Extra = map[string]json.RawMessage{"cooldown_seconds": json.RawMessage(strconv.Itoa(r.CooldownSeconds))}
	}
	return cr
}

// micEntry builds one mics[] entry from the raw microphone object (nil when
// the events had none): the source's members in its order, copied raw,
// then edge_status — the microphone's status when it is a non-empty
// string, else "active".
func micEntry(id string, raw json.RawMessage) (json.RawMessage, error) {
	var m objMembers
	if raw != nil {
		var err error
		if m, err = members(raw); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	if m.get("id") == nil {
		b.WriteString(`"id":`)
		writeString(&b, id)
		b.WriteByte(',')
	}
	for _, name := range micFields {
		if v := m.get(name); v != nil {
			writeString(&b, name)
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
	writeString(&b, status)
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode's newline
}

// objectOrNil returns v when it is a JSON object (not null or another kind).
func objectOrNil(v json.RawMessage) json.RawMessage {
	if len(v) > 0 && v[0] == '{' {
		return v
	}
	return nil
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

// members splits a JSON object into its members without re-encoding the
// values, so they are copied byte for byte.
func members(data []byte) (objMembers, error) {
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
