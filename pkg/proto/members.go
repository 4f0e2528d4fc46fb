package proto

import "errors"

// ErrNotObject is returned by Members for a value that is not a JSON object.
var ErrNotObject = errors.New("the event is not a JSON object")

// Members reads the JSON object data and calls fn with the raw value of
// each top-level member whose key want accepts, in order, until fn returns
// false. Members it does not want are skipped (validated, not decoded): a
// payload condition that reads two fields of a large event decodes those
// two (filter package). Once fn returns false the rest is not read, so not
// validated either: callers stop early only on data known to be valid
// (events in the log were validated at ingest).
func Members(data []byte, want func(key []byte) bool, fn func(key string, raw []byte) bool) error {
	r := &reader{data: data}
	if r.peek() != '{' {
		if r.failed() || r.pos >= len(r.data) {
			return errors.New("unexpected end of JSON input")
		}
		r.value()
		if r.failed() {
			return errors.New(r.syntaxError())
		}
		return ErrNotObject
	}
	if r.begin() {
		n := 0
		for r.next('}', &n) {
			k := r.key()
			if r.failed() {
				break
			}
			v := r.value()
			if r.failed() {
				break
			}
			if want(k) && !fn(string(k), r.data[v.start:v.end]) {
				return nil
			}
		}
	}
	if !r.failed() {
		r.end()
	}
	if r.failed() {
		return errors.New(r.syntaxError())
	}
	return nil
}
