// Package redact blanks chosen fields of JSON payloads before delivery
// (configuration redact.fields), e.g. the device console passwords that
// sound events of the edge audio box carry (docs/sources.md#sound-event).
//
// A path is a dotted list of object keys; "[]" after a key visits every
// element of that array: "microphone.console.password",
// "events[].microphone.console.password". A matched value is replaced by
// the empty string. Everything else is copied byte for byte, so field order
// and number spellings survive.
package redact

import (
	"bytes"
	"encoding/json"
	"strings"
)

// step is one path element.
type step struct {
	key   string
	array bool // key[]: descend into every element
}

// Redactor applies a set of paths.
type Redactor struct{ paths [][]step }

// New compiles paths; an empty list returns nil (nothing to do).
func New(paths []string) *Redactor {
	if len(paths) == 0 {
		return nil
	}
	r := &Redactor{}
	for _, p := range paths {
		var steps []step
		for _, part := range strings.Split(p, ".") {
			s := step{key: part}
			if strings.HasSuffix(part, "[]") {
				s = step{key: strings.TrimSuffix(part, "[]"), array: true}
			}
			steps = append(steps, s)
		}
		r.paths = append(r.paths, steps)
	}
	return r
}

// Apply returns data with every path blanked. data is not modified; when
// nothing matches, data itself is returned.
func (r *Redactor) Apply(data []byte) []byte {
	if r == nil {
		return data
	}
	out := data
	for _, p := range r.paths {
		if v, ok := apply(out, p); ok {
			out = v
		}
	}
	return out
}

var blank = []byte(`""`)

// apply rewrites value at path p; ok is false when nothing changed.
func apply(value []byte, p []step) ([]byte, bool) {
	if len(p) == 0 {
		return blank, true
	}
	if !bytes.HasPrefix(bytes.TrimSpace(value), []byte("{")) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	changed := false
	first := true
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		if key == p[0].key {
			if p[0].array {
				if v, ok := applyArray(raw, p[1:]); ok {
					raw, changed = v, true
				}
			} else if v, ok := apply(raw, p[1:]); ok {
				raw, changed = v, true
			}
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(key)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(raw)
	}
	if !changed {
		return nil, false
	}
	buf.WriteByte('}')
	return buf.Bytes(), true
}

func applyArray(value []byte, p []step) ([]byte, bool) {
	var elems []json.RawMessage
	if err := json.Unmarshal(value, &elems); err != nil {
		return nil, false
	}
	changed := false
	for i, e := range elems {
		if v, ok := apply(e, p); ok {
			elems[i], changed = v, true
		}
	}
	if !changed {
		return nil, false
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, e := range elems {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(e)
	}
	buf.WriteByte(']')
	return buf.Bytes(), true
}
