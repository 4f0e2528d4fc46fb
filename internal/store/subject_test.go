package store

import "testing"

func TestTokenRoundTrip(t *testing.T) {
	for _, v := range []string{"", "_", "mic_001", "a.b", "a b", "x*y>z", "%", "캠-01", "edge-01:x", "device-uuid"} {
		tok := Token(v)
		for i := 0; i < len(tok); i++ {
			switch tok[i] {
			case '.', '*', '>', ' ', '\t', '\r', '\n':
				t.Fatalf("Token(%q) = %q contains %q", v, tok, tok[i])
			}
		}
		if got := Untoken(tok); got != v {
			t.Errorf("Untoken(Token(%q)) = %q (token %q)", v, got, tok)
		}
	}
	if Token("") == Token("_") {
		t.Error("empty and underscore must not collide")
	}
}

func TestSubjectRoundTrip(t *testing.T) {
	a := Address{Family: "sound", Owner: "acme corp", DeviceID: "mic.1", AgentID: "", EventType: "normal_speech_female"}
	got, err := ParseSubject(a.Subject())
	if err != nil || got != a {
		t.Fatalf("ParseSubject(%q) = %+v, %v; want %+v", a.Subject(), got, err, a)
	}
	if _, err := ParseSubject("evt.a.b"); err == nil {
		t.Error("short subject accepted")
	}
	if f := (Filter{Owner: "acme", EventType: "x"}).Subject(); f != "evt.*.acme.*.*.x" {
		t.Errorf("filter subject = %q", f)
	}
}
