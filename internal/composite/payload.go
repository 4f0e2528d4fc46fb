package composite

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

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
//
// It appends the payload directly rather than building a proto.Composite
// and encoding it: the output is byte for byte what encoding/json writes for
// that value with HTML escaping off (payload_equiv_test.go compares the two
// on the seeds and under fuzzing), at a tenth of the cost. The events are
// copied as stored (compacted, never re-escaped), so <, > and & inside them
// stay as ingested.
func Payload(em *Emission) ([]byte, error) {
	// Distinct microphones and labels in order of first appearance, each
	// described by the newest event that carries it (its status may have
	// changed within the window).
	var micsBuf, labelsBuf [4]newest
	mics, labels := distinct{list: micsBuf[:0]}, distinct{list: labelsBuf[:0]}
	// The log stores events compacted: most need a plain copy.
	var compactBuf [8]bool
	compact := compactBuf[:0]
	size := 256
	for _, ev := range em.Events {
		size += len(ev.Data) + 1
		mic, label, c, err := micAndLabel(ev.Data)
		if err != nil {
			return nil, fmt.Errorf("composite %s: event %s: %w", em.ID, ev.ID, err)
		}
		compact = append(compact, c)
		mics.note(ev.MicID, objectOrNil(mic), ev.Time, c)
		labels.note(ev.LabelID, objectOrNil(label), ev.Time, c)
	}
	for _, m := range mics.list {
		size += len(m.obj) + 32
	}
	for _, l := range labels.list {
		size += len(l.obj) + 16
	}

	b := make([]byte, 0, size)
	b = append(b, `{"id":`...)
	b = appendString(b, em.ID)
	b = append(b, `,"group_key":`...)
	b = appendString(b, em.GroupKey)
	b = append(b, `,"rule":`...)
	b = appendRule(b, &em.Rule)
	b = append(b, `,"events":[`...)
	for i, ev := range em.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRaw(b, ev.Data, compact[i])
	}
	b = append(b, `],"mics":[`...)
	for i, m := range mics.list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendMic(b, m.id, m.obj, m.compact); err != nil {
			return nil, fmt.Errorf("composite %s: microphone %s: %w", em.ID, m.id, err)
		}
	}
	b = append(b, `],"labels":[`...)
	for i, l := range labels.list {
		if i > 0 {
			b = append(b, ',')
		}
		if l.obj != nil {
			b = appendRaw(b, l.obj, l.compact)
			continue
		}
		// The events carried only label_id: {"id":...} as json.Marshal of a
		// map writes it, with HTML escaping.
		if htmlSafe(l.id) {
			b = append(b, `{"id":`...)
			b = appendString(b, l.id)
			b = append(b, '}')
		} else {
			obj, _ := json.Marshal(map[string]string{"id": l.id})
			b = append(b, obj...)
		}
	}
	b = append(b, `],"started_at":"`...)
	b = em.StartedAt().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `"}`...)
	return b, nil
}

// newest is the object describing one microphone or label: that of the
// newest event carrying it.
type newest struct {
	id      string
	obj     []byte
	t       int64
	compact bool // obj holds no whitespace outside strings
}

// distinct lists microphones or labels in order of first appearance. A
// composite involves a handful, searched linearly; past 16 an index takes
// over so a composite of thousands of devices stays linear.
type distinct struct {
	list  []newest
	index map[string]int
}

func (d *distinct) note(id string, obj []byte, t int64, compact bool) {
	i, ok := -1, false
	if d.index != nil {
		i, ok = d.index[id]
	} else {
		for j := range d.list {
			if d.list[j].id == id {
				i, ok = j, true
				break
			}
		}
	}
	if ok {
		if n := &d.list[i]; t >= n.t && obj != nil {
			n.obj, n.t, n.compact = obj, t, compact
		}
		return
	}
	d.list = append(d.list, newest{id, obj, t, compact})
	switch {
	case d.index != nil:
		d.index[id] = len(d.list) - 1
	case len(d.list) > 16:
		d.index = make(map[string]int, 2*len(d.list))
		for j, n := range d.list {
			d.index[n.id] = j
		}
	}
}

// appendRaw appends a raw JSON value compacted, as encoding/json does with
// a json.RawMessage: a copy when it is known to be compact already.
func appendRaw(b, v []byte, compact bool) []byte {
	if compact {
		return append(b, v...)
	}
	return proto.AppendCompact(b, v)
}

// appendRule appends the rule as embedded in a composite: the rule object
// of docs/sources.md#rule-object, plus cooldown_seconds when the rule has
// one (proto.CompositeRule's members, in its order).
func appendRule(b []byte, r *proto.Rule) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"name":`...)
	b = appendString(b, r.Name)
	b = append(b, `,"description":`...)
	b = appendString(b, r.Description)
	b = append(b, `,"window_seconds":`...)
	b = strconv.AppendInt(b, int64(r.WindowSeconds), 10)
	b = append(b, `,"min_events":`...)
	b = strconv.AppendInt(b, int64(r.MinEvents), 10)
	b = append(b, `,"enabled":`...)
	b = strconv.AppendBool(b, r.Enabled)
	b = append(b, `,"group_by":`...)
	b = appendString(b, r.GroupBy)
	b = append(b, `,"include_label_ids":`...)
	b = appendStrings(b, r.IncludeLabelIDs)
	b = append(b, `,"include_mic_ids":`...)
	b = appendStrings(b, r.IncludeMicIDs)
	if r.CooldownSeconds > 0 {
		b = append(b, `,"cooldown_seconds":`...)
		b = strconv.AppendInt(b, int64(r.CooldownSeconds), 10)
	}
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendMic appends one mics[] entry built from the raw microphone object
// (nil when the events had none): the source's members in micFields'
// order, copied raw, then edge_status — the microphone's status when it is
// a non-empty string, else "active".
func appendMic(b []byte, id string, raw []byte, compact bool) ([]byte, error) {
	var buf [24]rawMember
	m := rawMembers(buf[:0])
	if raw != nil {
		if _, err := eachMember(raw, func(name, raw []byte) { m = append(m, rawMember{name, raw}) }); err != nil {
			return b, err
		}
	}
	b = append(b, '{')
	if m.get("id") == nil {
		b = append(b, `"id":`...)
		b = appendString(b, id)
		b = append(b, ',')
	}
	for _, name := range micFields {
		if v := m.get(name); v != nil {
			b = append(b, '"')
			b = append(b, name...) // plain ASCII names
			b = append(b, `":`...)
			b = appendRaw(b, v, compact)
			b = append(b, ',')
		}
	}
	b = append(b, `"edge_status":`...)
	v := m.get("status")
	var s string
	switch {
	case plainString(v) && len(v) > 2:
		b = append(b, v...) // already spelled as appendString would
	case v != nil && json.Unmarshal(v, &s) == nil && s != "":
		b = appendString(b, s)
	default:
		b = append(b, `"active"`...)
	}
	return append(b, '}'), nil
}

// plainString reports whether v is a JSON string of printable ASCII
// without escapes, which encoding/json would write back unchanged.
func plainString(v []byte) bool {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return false
	}
	for _, c := range v[1 : len(v)-1] {
		if c == '\\' || c == '"' || c < 0x20 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// appendString appends s as encoding/json writes a string with HTML
// escaping off. Printable ASCII is copied; anything else (control
// characters, invalid UTF-8, U+2028/U+2029 and every other non-ASCII rune)
// goes through encoding/json itself, so rare spellings cannot drift.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return appendStringSlow(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendStringSlow(b []byte, s string) []byte {
	var w sliceWriter
	w.b = b
	enc := json.NewEncoder(&w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return w.b[:len(w.b)-1] // Encode's newline
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// htmlSafe reports whether json.Marshal (HTML escaping on) would write s as
// appendString does.
func htmlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// objectOrNil returns v when it is a JSON object (not null or another kind).
func objectOrNil(v []byte) []byte {
	if len(v) > 0 && v[0] == '{' {
		return v
	}
	return nil
}

// micAndLabel returns the raw values of an event's top-level microphone and
// label members (nil when absent), the first of each name as the event
// spells it, and whether data is compact.
func micAndLabel(data []byte) (mic, label []byte, compact bool, err error) {
	compact, err = eachMember(data, func(name, raw []byte) {
		switch {
		case mic == nil && string(name) == "microphone":
			mic = raw
		case label == nil && string(name) == "label":
			label = raw
		}
	})
	return mic, label, compact, err
}

// rawMembers are the members of a JSON object in document order, names
// and values raw (the names unescaped).
type rawMembers []rawMember

type rawMember struct{ name, raw []byte }

func (m rawMembers) get(name string) []byte {
	for _, x := range m {
		if string(x.name) == name {
			return x.raw
		}
	}
	return nil
}
