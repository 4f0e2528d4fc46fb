package proto

import (
	"errors"
	"time"
)

// timeReason is the FieldError reason for an unparsable time. It names both accepted forms
// because senders of the identification form otherwise assume only RFC 3339 works.
const timeReason = "is not a valid time (want RFC 3339 or 2006-01-02 15:04:05.000000+00:00)"

var errTime = errors.New("proto: time " + timeReason)

// ParseTime accepts RFC 3339 with or without fractional seconds ("2026-03-26T09:00:00Z",
// "2026-03-26T09:00:00.5+09:00") and the form "2006-01-02 15:04:05[.fraction]±hh:mm" (also
// with Z) that face identifications use (docs/contract.md#times). A time without a zone is an error: guessing one would
// silently shift events by hours. Fractions beyond nanoseconds are truncated.
//
// The result is in UTC; the original spelling travels with the payload, so no zone
// information is lost to consumers.
func ParseTime(s string) (time.Time, error) {
	t, ok := parseTime(s)
	if !ok {
		return time.Time{}, errTime
	}
	return t, nil
}

// parseTime is ParseTime for either a string or the raw bytes of a JSON string, so the
// ingest path parses times without converting to a string first. It is hand-written
// instead of trying time.Parse layouts in turn: that is several times faster and the hot
// path parses a time for every event.
func parseTime[T string | []byte](s T) (time.Time, bool) {
	// 2006-01-02T15:04:05Z is the shortest valid form.
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	switch s[10] {
	case 'T', 't', ' ':
	default:
		return time.Time{}, false
	}
	year, ok1 := digits(s, 0, 4)
	month, ok2 := digits(s, 5, 2)
	day, ok3 := digits(s, 8, 2)
	hour, ok4 := digits(s, 11, 2)
	min, ok5 := digits(s, 14, 2)
	sec, ok6 := digits(s, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, false
	}
	i, nsec := 19, 0
	if s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if i-start < 9 {
				nsec = nsec*10 + int(s[i]-'0')
			}
			i++
		}
		n := i - start
		if n == 0 {
			return time.Time{}, false
		}
		for ; n < 9; n++ {
			nsec *= 10
		}
	}
	if i >= len(s) {
		return time.Time{}, false // no zone
	}
	offset := 0
	switch s[i] {
	case 'Z', 'z':
		if i+1 != len(s) {
			return time.Time{}, false
		}
	case '+', '-':
		if len(s)-i != 6 || s[i+3] != ':' {
			return time.Time{}, false
		}
		zh, okh := digits(s, i+1, 2)
		zm, okm := digits(s, i+4, 2)
		if !okh || !okm || zh > 23 || zm > 59 {
			return time.Time{}, false
		}
		offset = (zh*60 + zm) * 60
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// digits reads n decimal digits of s starting at i.
func digits[T string | []byte](s T, i, n int) (int, bool) {
	v := 0
	for k := i; k < i+n; k++ {
		c := s[k]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
