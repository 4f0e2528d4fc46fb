package proto

import (
	"strings"
	"testing"
)

func TestCheckIdent(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"mic_001", ""},
		{"cam.*.>", ""}, // escaped into subject tokens, never used raw
		{"Müller-Mikro 3", ""},
		{strings.Repeat("a", MaxIdentLen), ""},
		{strings.Repeat(".", MaxIdentLen), ""},
		{"", reasonNonEmpty},
		{strings.Repeat("a", MaxIdentLen+1), "must be at most 256 bytes"},
		{strings.Repeat("é", MaxIdentLen/2+1), "must be at most 256 bytes"},
		{"a\xffb", reasonUTF8},
		{"a\x00b", reasonControl},
		{"a\r\nNats-Msg-Id: x", reasonControl},
		{"a\x1b[31m", reasonControl},
		{"a\x7f", reasonControl},
		{"a\u0085", reasonControl},
	} {
		if got := CheckIdent(tc.in); got != tc.want {
			t.Errorf("CheckIdent(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCheckOwner(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"default", true},
		{"acme-corp_2:eu@example.com+x", true},
		{strings.Repeat("o", MaxOwnerLen), true},
		{"", false},
		{strings.Repeat("o", MaxOwnerLen+1), false},
		{"a b", false},
		{"a*", false},
		{"a>", false},
		{"a/b", false},
		{"a\x00", false},
		{"ünïcode", false},
	} {
		if got := CheckOwner(tc.in); (got == "") != tc.ok {
			t.Errorf("CheckOwner(%q) = %q, want ok=%v", tc.in, got, tc.ok)
		}
	}
}

func TestExtractRejectsHostileIdentifiers(t *testing.T) {
	long := strings.Repeat("m", 4100)
	runExtract(t, FamilySound, []extractCase{
		{name: "long mic_id", in: `{"id":"e1","label_id":"glass","mic_id":"` + long + `","created_at":"2026-03-26T09:00:00Z"}`,
			errs: []FieldError{fe("mic_id", "must be at most 256 bytes")}},
		{name: "control character in label", in: `{"id":"e1","label_id":"gl\u0000ass","mic_id":"m","created_at":"2026-03-26T09:00:00Z"}`,
			errs: []FieldError{fe("label_id", reasonControl)}},
		{name: "header injection in id", in: `{"id":"e1\r\nNats-Expected-Stream: x","label_id":"g","mic_id":"m","created_at":"2026-03-26T09:00:00Z"}`,
			errs: []FieldError{fe("id", reasonControl)}},
		{name: "long edge_id", in: `{"id":"e1","label_id":"g","mic_id":"m","created_at":"2026-03-26T09:00:00Z","microphone":{"edge_id":"` + long + `"}}`,
			errs: []FieldError{fe("microphone.edge_id", "must be at most 256 bytes")}},
		{name: "invalid UTF-8 in the payload", in: "{\"id\":\"e1\",\"label_id\":\"g\",\"mic_id\":\"m\",\"created_at\":\"2026-03-26T09:00:00Z\",\"note\":{\"x\":[\"ok\",\"\xff\xfe\"]}}",
			errs: []FieldError{fe("note.x[1]", reasonUTF8)}},
		{name: "invalid UTF-8 in a routing value", in: "{\"id\":\"e1\",\"label_id\":\"g\",\"mic_id\":\"m\xc3\",\"created_at\":\"2026-03-26T09:00:00Z\"}",
			errs: []FieldError{fe("mic_id", reasonUTF8)}},
		{name: "invalid UTF-8 in a key", in: "{\"id\":\"e1\",\"label_id\":\"g\",\"mic_id\":\"m\",\"created_at\":\"2026-03-26T09:00:00Z\",\"\xff\":1}",
			errs: []FieldError{fe("(key)", reasonUTF8)}},
		{name: "confidence beyond float64", in: `{"id":"e1","label_id":"g","mic_id":"m","created_at":"2026-03-26T09:00:00Z","confidence":1e999999}`,
			errs: []FieldError{fe("confidence", reasonFloat)}},
		{name: "400-digit number", in: `{"id":"e1","label_id":"g","mic_id":"m","created_at":"2026-03-26T09:00:00Z","extra":{"n":-` + strings.Repeat("9", 400) + `}}`,
			errs: []FieldError{fe("extra.n", reasonFloat)}},
		{name: "long time", in: `{"id":"e1","label_id":"g","mic_id":"m","created_at":"2026-03-26T09:00:00` + strings.Repeat("0", 100) + `Z"}`,
			errs: []FieldError{fe("created_at", timeReason)}},
	})
	// What stays accepted: big but finite numbers, underflow to zero,
	// dots and wildcards (escaped later), escaped non-ASCII.
	runExtract(t, FamilySound, []extractCase{
		{name: "finite numbers", in: `{"id":"e1","label_id":"g","mic_id":"` + strings.Repeat(".", 256) + `","created_at":"2026-03-26T09:00:00Z","confidence":1e308,"tiny":1e-999999,"n":123456789012345678901234567890}`,
			want: Routing{ID: "e1", EventType: "g", DeviceID: strings.Repeat(".", 256), Time: mustTime(t, "2026-03-26T09:00:00Z")}},
	})
}

func TestExtractRejectsHostileWatchlists(t *testing.T) {
	var groups []string
	for i := range MaxWatchlists + 1 {
		groups = append(groups, `{"id":"wl`+strings.Repeat("x", i)+`"}`)
	}
	base := func(groups string) string {
		return `{"type":"face","camera":{"id":"c1"},"event":{"id":"e1","detection_date":"2026-03-26T09:00:00Z"},"candidates":[{"profile_groups":[` + groups + `]}]}`
	}
	runExtract(t, FamilyIdentification, []extractCase{
		{name: "too many watchlists", in: base(strings.Join(groups, ",")),
			errs: []FieldError{fe("candidates", "must name at most 64 distinct watchlists (profile_groups[].id)")}},
		{name: "comma in a watchlist", in: base(`{"id":"a,b"}`),
			errs: []FieldError{fe("candidates[0].profile_groups[0].id", reasonComma)}},
		{name: "long watchlist", in: base(`{"id":"` + strings.Repeat("w", 300) + `"}`),
			errs: []FieldError{fe("candidates[0].profile_groups[0].id", "must be at most 256 bytes")}},
	})
}
