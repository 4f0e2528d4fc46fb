package send

import (
	"strings"
	"testing"
)

func TestSplitRecords(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  string
	}{
		{name: "object", in: "{\n  \"id\": \"a\",\n  \"n\": 1.50\n}\n", want: []string{`{"id":"a","n":1.50}`}},
		{name: "array", in: `[ {"id":"a"} , {"id":"b", "x": [1, 2]} ]`, want: []string{`{"id":"a"}`, `{"id":"b","x":[1,2]}`}},
		{name: "ndjson with blank lines and BOM", in: "\xef\xbb\xbf{\"id\":\"a\"}\n\n{\"id\":\"b\"}\r\n", want: []string{`{"id":"a"}`, `{"id":"b"}`}},
		{name: "keeps order, escapes and spellings", in: `{"z":1e2,"a":"<&>\u00e9"}`, want: []string{`{"z":1e2,"a":"<&>\u00e9"}`}},
		{name: "empty", in: " \n", wantErr: "no records in the input"},
		{name: "empty array", in: "[]", wantErr: "no records in the input (an empty array)"},
		{name: "bad ndjson line", in: "{\"id\":\"a\"}\n{\"id\":\"b\",}\n", wantErr: "record 1 (line 2) is not valid JSON: invalid character '}'"},
		{name: "bad array element", in: "[\n{\"id\":\"a\"},\n{\"id\": x}\n]", wantErr: "record 1 (line 3) is not valid JSON"},
		{name: "truncated", in: "{\"id\":\"a\"}\n{\"id\":", wantErr: "record 1 (line 2) is not valid JSON: the input ends in the middle of it"},
		{name: "after array", in: "[{}]\n{}", wantErr: "unexpected data after the JSON array on line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitRecords([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, r := range got {
				s = append(s, string(r))
			}
			if strings.Join(s, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
}
