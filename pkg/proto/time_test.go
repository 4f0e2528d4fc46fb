package proto

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	ok := []struct {
		in   string
		want string // RFC 3339 in UTC
	}{
		{"2026-03-26T09:00:00Z", "2026-03-26T09:00:00Z"},
		{"2026-03-26t09:00:00z", "2026-03-26T09:00:00Z"},
		{"2026-03-26T09:00:00.5Z", "2026-03-26T09:00:00.5Z"},
		{"2026-03-26T09:00:00.123456789Z", "2026-03-26T09:00:00.123456789Z"},
		{"2026-03-26T09:00:00.1234567891234Z", "2026-03-26T09:00:00.123456789Z"}, // truncated
		{"2026-03-26T18:00:00+09:00", "2026-03-26T09:00:00Z"},
		{"2026-03-26T00:30:00-05:30", "2026-03-26T06:00:00Z"},
		{"2024-05-29 10:48:27.364000+00:00", "2024-05-29T10:48:27.364Z"}, // the identification form
		{"2024-05-29 10:48:27+00:00", "2024-05-29T10:48:27Z"},
		{"2024-05-29 10:48:27.364Z", "2024-05-29T10:48:27.364Z"},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"2000-02-29T23:59:59-01:00", "2000-03-01T00:59:59Z"},
		{"2000-02-29T23:59:59-00:00", "2000-02-29T23:59:59Z"},
	}
	for _, tc := range ok {
		got, err := ParseTime(tc.in)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tc.in, err)
			continue
		}
		if got.Location() != time.UTC || got.Format(time.RFC3339Nano) != tc.want {
			t.Errorf("ParseTime(%q) = %s, want %s", tc.in, got.Format(time.RFC3339Nano), tc.want)
		}
		// Agrees with the standard library wherever that understands the form.
		if std, err := time.Parse(time.RFC3339Nano, tc.in); err == nil && !std.Equal(got) {
			t.Errorf("ParseTime(%q) = %s, time.Parse = %s", tc.in, got, std)
		}
	}
	bad := []string{
		"",
		"2026-03-26T09:00:00",        // no zone
		"2026-03-26 09:00:00.364000", // no zone
		"2026-03-26",
		"2026-03-26T09:00Z",
		"2026-03-26T09:00:00.Z",
		"2026-03-26T09:00:00+0900",
		"2026-03-26T09:00:00+09",
		"2026-03-26T09:00:00+24:00",
		"2026-03-26T09:00:00+09:60",
		"2026-03-26T09:00:00Z ",
		" 2026-03-26T09:00:00Z",
		"2026-03-26T09:00:00ZZ",
		"2026-13-26T09:00:00Z",
		"2026-00-26T09:00:00Z",
		"2026-02-29T09:00:00Z",
		"1900-02-29T09:00:00Z",
		"2026-04-31T09:00:00Z",
		"2026-03-00T09:00:00Z",
		"2026-03-26T24:00:00Z",
		"2026-03-26T09:60:00Z",
		"2026-03-26T09:00:60Z",
		"2026-03-26_09:00:00Z",
		"２026-03-26T09:00:00Z",
		"+2026-03-26T09:00:00Z",
		"2026-3-26T09:00:00Z",
		"yesterday at noon, UTC",
		"1711443600",
		"2026-03-26T09:00:00,5Z",
	}
	for _, in := range bad {
		if got, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) = %s, want error", in, got)
		}
	}
}
