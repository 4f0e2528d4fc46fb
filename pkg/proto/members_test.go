package proto

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzMembers: on any JSON object, Members sees the members encoding/json
// sees (same names, same values, the last one of a repeated name), and on
// anything else it returns an error without panicking.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":{"b":[1,"]}"]},"c":"\\"q"}`, ` { "a" : null , "a" : true } `, `{"\u00e9":[]}`, `{"s\u0075b":"x"}`, `[1]`, `{"a":`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := map[string]json.RawMessage{}
		err := Members(b, func([]byte) bool { return true }, func(k string, v []byte) bool {
			got[k] = bytes.Clone(v)
			return true
		})
		var want map[string]json.RawMessage
		if json.Unmarshal(b, &want) != nil || want == nil || !utf8.Valid(b) {
			// Not an object: any error (or none, for a prefix) is fine.
			// Invalid UTF-8 in a name is replaced by encoding/json.
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: members %v, encoding/json %v", b, got, want)
		}
		for k, v := range want {
			if !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
				t.Fatalf("%q: member %q = %s, encoding/json %s", b, k, got[k], v)
			}
		}
	})
}
