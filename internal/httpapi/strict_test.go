package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/pkg/proto"
)

func TestStrictRefusesWhatWouldBeDroppedOrMangled(t *testing.T) {
	reached := false
	h := Strict(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	for _, tc := range []struct {
		name, target string
		ok           bool
		field        string // named in details when set
	}{
		{"plain", "/api/v1/events?device_id=mic_001&limit=10", true, ""},
		{"escaped wildcard", "/api/v1/events?device_id=a.%2A.%3E", true, ""},
		{"utf-8", "/api/v1/events?device_id=M%C3%BCller", true, ""},
		{"bad escape", "/api/v1/events?device_id=%zz", false, ""},
		{"bad escape in token", "/api/v1/events?page_token=%%%", false, ""},
		{"truncated escape", "/api/v1/events?after=%4", false, ""},
		{"semicolon", "/api/v1/events?a=1;b=2", false, ""},
		{"invalid utf-8", "/api/v1/events?device_id=%FF%FE", false, "device_id"},
		{"nul", "/api/v1/events?device_id=a%00b", false, "device_id"},
		{"crlf", "/api/v1/events?device_id=a%0D%0ASet-Cookie:x", false, "device_id"},
		{"long value", "/api/v1/events?device_id=" + strings.Repeat("a", MaxQueryValue+1), false, "device_id"},
		{"long name", "/api/v1/events?" + strings.Repeat("k", 100) + "=1", false, ""},
		{"path with control", "/api/v1/composite-events/a%07b", false, ""},
		{"path with invalid utf-8", "/api/v1/composite-events/%C3", false, ""},
		{"long path", "/api/v1/composite-events/" + strings.Repeat("x", MaxPath), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reached = false
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", tc.target, nil))
			if tc.ok {
				if !reached || w.Code != 200 {
					t.Fatalf("refused: %d %s", w.Code, w.Body)
				}
				return
			}
			if reached || w.Code != http.StatusBadRequest {
				t.Fatalf("status %d, reached %v, want 400", w.Code, reached)
			}
			var body proto.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code == "" || body.Error.Message == "" {
				t.Fatalf("error body %q: %v", w.Body, err)
			}
			if len(w.Body.Bytes()) > 1024 {
				t.Errorf("error body of %d bytes echoes too much", w.Body.Len())
			}
			if tc.field != "" && (len(body.Error.Details) != 1 || body.Error.Details[0].Field != tc.field) {
				t.Errorf("details %+v, want field %s", body.Error.Details, tc.field)
			}
		})
	}
}

func TestClip(t *testing.T) {
	if got := Clip("short"); got != "short" {
		t.Errorf("Clip(short) = %q", got)
	}
	long := strings.Repeat("é", 100) // 200 bytes: the cut must not split a rune
	got := Clip(long)
	if !strings.HasSuffix(got, "…(200 bytes)") || !json.Valid([]byte(`"`+got+`"`)) || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("Clip = %q", got)
	}
}

// A management body with invalid UTF-8 is refused naming the field, not
// stored with U+FFFD in its place.
func TestDecodeJSONRefusesInvalidUTF8(t *testing.T) {
	for _, tc := range []struct{ body, field string }{
		{"{\"name\":\"a\xffb\"}", "name"},
		{"{\"ids\":[\"ok\",\"\xed\xa0\x80\"]}", "ids[1]"},
		{"{\"name\":\"a\xff", ""}, // not JSON either: no field to name
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		var v map[string]any
		err := DecodeJSON(httptest.NewRecorder(), r, 1<<20, &v)
		e, ok := err.(*Error)
		if !ok || e.Status != http.StatusBadRequest {
			t.Fatalf("%q: %v", tc.body, err)
		}
		if tc.field != "" && (len(e.Details) != 1 || e.Details[0].Field != tc.field) {
			t.Errorf("%q: details %+v, want field %s", tc.body, e.Details, tc.field)
		}
	}
}
