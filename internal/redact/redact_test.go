package redact

import "testing"

func TestApply(t *testing.T) {
	in := `{"id":"e1","n":1.50,"microphone":{"console":{"username":"admin","password":"password"},"x":[1,2]},"events":[{"microphone":{"console":{"password":"p"}}},{"other":1}]}`
	r := New([]string{"microphone.console.password", "events[].microphone.console.password", "missing.path"})
	got := string(r.Apply([]byte(in)))
	want := `{"id":"e1","n":1.50,"microphone":{"console":{"username":"admin","password":""},"x":[1,2]},"events":[{"microphone":{"console":{"password":""}}},{"other":1}]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if New(nil).Apply([]byte(in)) == nil {
		t.Fatal("nil redactor must pass data through")
	}
	same := []byte(`{"a":1}`)
	if &r.Apply(same)[0] != &same[0] {
		t.Error("unchanged payload should not be copied")
	}
	if got := string(r.Apply([]byte(`[1,2]`))); got != `[1,2]` {
		t.Errorf("non-object: %s", got)
	}
}
