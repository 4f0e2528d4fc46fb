package proto

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestAppendCompact(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{}`, `{}`},
		{"  {\n\t\"a\" : [ 1 , 2.50 , -0e+1 ] ,\r\n \"b\":\"x y\\\" z\\\\\" }\n", `{"a":[1,2.50,-0e+1],"b":"x y\" z\\"}`},
		{`{"a":"\\\\"  ,  "b" : "  "}`, `{"a":"\\\\","b":"  "}`},
		{"[ true ,false, null ]", "[true,false,null]"},
		{`"spaces stay"`, `"spaces stay"`},
		{"{\"k\":\"한국어 \\u00e9\"}", "{\"k\":\"한국어 \\u00e9\"}"},
	}
	for _, tc := range cases {
		prefix := []byte("prefix:")
		got := AppendCompact(prefix, []byte(tc.in))
		if string(got) != "prefix:"+tc.want {
			t.Errorf("AppendCompact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Every seed compacts exactly as json.Compact does (same spelling, order, escapes).
	for _, s := range seedFiles {
		in := readSeed(t, s.name)
		var want bytes.Buffer
		if err := json.Compact(&want, in); err != nil {
			t.Fatal(err)
		}
		if got := AppendCompact(nil, in); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s:\n got %s\nwant %s", s.name, got, want.Bytes())
		}
	}
}

func TestAppendCompactFastPath(t *testing.T) {
	src := []byte(`{"a":[1,2],"b":"xyz"}`)
	dst := make([]byte, 0, 64)
	got := AppendCompact(dst, src)
	if string(got) != string(src) || &got[0] != &dst[:1][0] {
		t.Errorf("fast path did not append in place: %q", got)
	}
}

func TestHasSpace(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", false}, {"abcdefghijklmnop", false}, {"abcdefghijklmno ", true}, {" bcdefghijklmnop", true},
		{"abcdefg\n", true}, {"ab\tc", true}, {"\xff\xfe\x80\x81\xc3\xa9!!!", false}, {"!!!!!!!!\r", true},
	} {
		if got := hasSpace([]byte(tc.in)); got != tc.want {
			t.Errorf("hasSpace(%q) = %v", tc.in, got)
		}
	}
}
