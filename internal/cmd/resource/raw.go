package resource

import "encoding/json"

// Raw is a resource decoded into V for the table columns that marshals back
// to exactly the bytes the gateway sent. So -o json and -o yaml show every
// field of the answer, including ones this version of evtctl does not know,
// with the server's spelling.
type Raw[T any] struct {
	V   T
	raw json.RawMessage
}

// UnmarshalJSON keeps the bytes and decodes them into V.
func (r *Raw[T]) UnmarshalJSON(b []byte) error {
	r.raw = append(r.raw[:0], b...)
	return json.Unmarshal(b, &r.V)
}

// MarshalJSON returns the bytes received, or V encoded when there are none
// (a Raw built in code).
func (r Raw[T]) MarshalJSON() ([]byte, error) {
	if r.raw == nil {
		return json.Marshal(r.V)
	}
	return r.raw, nil
}

// NewRaw wraps a value built in code.
func NewRaw[T any](v T) Raw[T] { return Raw[T]{V: v} }
