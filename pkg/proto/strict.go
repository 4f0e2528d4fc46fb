package proto

import (
	"strconv"
	"unicode/utf8"
)

// Reasons of the strict checks.
const (
	reasonFloat = "is a number out of the range of a 64-bit float"
)

// StrictProblems names every string of data (keys included) that is not
// valid UTF-8 and every number that does not fit a float64. Both are valid
// JSON text, and encoding/json reads them, but the gateway would store
// them and serve them back to strict parsers (browsers' TextDecoder with
// fatal, WebSocket text frames, Python's json with parse_float checks)
// that refuse them, so ingest refuses them first, naming the field.
//
// data must be valid JSON (json.Valid). Extract runs this second, slower
// walk only when its reader flagged something suspect; the management API
// runs it on bodies that are not valid UTF-8, to name the fields.
func StrictProblems(data []byte) []FieldError {
	w := strictWalker{r: reader{data: data}}
	w.walk("")
	return w.errs
}

type strictWalker struct {
	r    reader
	errs []FieldError
}

func (w *strictWalker) walk(path string) {
	r := &w.r
	switch r.peek() {
	case '{':
		r.begin()
		for n := 0; r.next('}', &n); {
			r.ws()
			start := r.pos
			r.str()
			raw := r.data[start+1 : r.pos-1]
			name := string(raw)
			if !utf8.Valid(raw) {
				w.errs = append(w.errs, FieldError{Field: join(path, "(key)"), Reason: reasonUTF8})
				name = "(key)"
			} else if hasByte(raw, '\\') {
				name = r.text(val{k: kindString, start: start, end: r.pos, slow: true})
			}
			r.ws()
			r.pos++ // the colon
			w.walk(join(path, name))
		}
	case '[':
		r.begin()
		for i := 0; r.next(']', &i); {
			w.walk(path + "[" + strconv.Itoa(i-1) + "]")
		}
	default:
		v := r.value()
		raw := r.data[v.start:v.end]
		switch v.k {
		case kindString:
			if v.slow && !utf8.Valid(raw) {
				w.errs = append(w.errs, FieldError{Field: path, Reason: reasonUTF8})
			}
		case kindNumber:
			if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
				w.errs = append(w.errs, FieldError{Field: path, Reason: reasonFloat})
			}
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
