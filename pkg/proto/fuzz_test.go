package proto

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for everything that reads network input. Run each with e.g.
//
//	go test -run x -fuzz FuzzExtract -fuzztime 30s ./pkg/proto/

var families = Families()

// fuzzCorpus adds every seed file, compact and as written, plus a few edge cases.
func fuzzCorpus(f *testing.F, add func(fam int, data []byte)) {
	for _, s := range seedFiles {
		raw := readSeed(f, s.name)
		for i, fam := range families {
			if fam == s.family {
				add(i, raw)
				add(i, AppendCompact(nil, raw))
			}
		}
	}
	for i := range families {
		for _, s := range []string{`{}`, `[]`, `null`, ``, `{"id":"\u00e9\ud800","x":[1,{"y":-0.5e-3}]}`, "{\"a\":\"\xff\"}", `{"a":1}x`} {
			add(i, []byte(s))
		}
	}
}

func FuzzExtract(f *testing.F) {
	fuzzCorpus(f, func(fam int, data []byte) { f.Add(uint8(fam), data) })
	f.Fuzz(func(t *testing.T, fam uint8, data []byte) {
		fy := families[int(fam)%len(families)]
		rt, errs := Extract(fy, data)

		// The reader accepts exactly what encoding/json accepts.
		syntax := len(errs) == 1 && strings.HasPrefix(errs[0].Reason, "is not valid JSON")
		if valid := json.Valid(data); valid == syntax {
			t.Fatalf("json.Valid = %v but Extract errors = %v", valid, errs)
		}
		if errs != nil {
			if !reflect.DeepEqual(rt, Routing{}) {
				t.Fatalf("routing %+v returned with errors %v", rt, errs)
			}
			return
		}
		if rt.Family != fy || rt.ID == "" {
			t.Fatalf("routing %+v", rt)
		}
		// Compacting (what the gateway stores) does not change the routing.
		rt2, errs2 := Extract(fy, AppendCompact(nil, data))
		if errs2 != nil || !reflect.DeepEqual(rt, rt2) {
			t.Fatalf("compacted: %+v %v, want %+v", rt2, errs2, rt)
		}
		// Where the typed decoder also accepts the event, both read the same values.
		v, err := decodeAny(fy, data)
		if err != nil {
			return // Extract checks fewer types than the typed structs declare
		}
		checkSameRouting(t, rt, v)
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func mustTime(t *testing.T, s string) time.Time {
	tm, err := ParseTime(s)
	if err != nil {
		t.Fatalf("typed time %q: %v", s, err)
	}
	return tm
}

func checkSameRouting(t *testing.T, rt Routing, v any) {
	var want Routing
	want.Family = rt.Family
	switch e := v.(type) {
	case *SoundEvent:
		want.ID, want.DeviceID, want.EventType, want.Time = e.ID, e.MicID, e.LabelID, mustTime(t, e.CreatedAt)
		if e.Microphone != nil {
			want.AgentID = deref(e.Microphone.EdgeID)
		}
	case *AnalysisResult:
		want.ID = e.DeviceID + "/" + e.AnalysisID + "/" + e.Timestamp
		want.DeviceID, want.EventType, want.Time = e.DeviceID, EventTypeAnalysis, mustTime(t, e.Timestamp)
	case *Identification:
		want.ID, want.DeviceID, want.AgentID, want.EventType = e.Event.ID, e.Camera.ID, deref(e.Camera.AgentID), e.Type
		want.Time = mustTime(t, e.Event.DetectionDate)
		for _, c := range e.Candidates {
			for _, g := range c.ProfileGroups {
				if g.ID != "" && !contains(want.Watchlists, g.ID) {
					want.Watchlists = append(want.Watchlists, g.ID)
				}
			}
		}
	case *Composite:
		want.ID, want.EventType, want.Time = e.ID, EventTypeComposite, mustTime(t, e.StartedAt)
	}
	if !reflect.DeepEqual(rt, want) {
		t.Fatalf("Extract: %+v\ntyped:   %+v", rt, want)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// covers reports whether out holds everything in: the same members with the same values,
// where out may add members (typed fields absent from the input) and may turn null into a
// zero value or an empty list (value-typed fields cannot hold null).
func covers(in, out any) bool {
	switch a := in.(type) {
	case nil:
		return true
	case map[string]any:
		b, ok := out.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !covers(v, w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := out.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !covers(a[i], b[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(in, out)
	}
}

// checkDecoded checks what any typed decoder returned for data: re-encoding keeps every
// member, and a second decode and encode changes nothing.
func checkDecoded(t *testing.T, data []byte, v any, err error, redecode func([]byte) (any, error)) {
	if err != nil {
		return
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal after decode: %v", err)
	}
	var in, got any
	if json.Unmarshal(data, &in) != nil {
		return // e.g. numbers beyond float64: not comparable generically
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output does not decode: %v\n%s", err, out)
	}
	if !covers(in, got) {
		t.Fatalf("re-encoding lost data:\n in %s\nout %s", data, out)
	}
	v2, err := redecode(out)
	if err != nil {
		t.Fatalf("decoding own output: %v\n%s", err, out)
	}
	out2, err := json.Marshal(v2)
	if err != nil || !bytes.Equal(out, out2) {
		t.Fatalf("second round differs (%v):\n%s\n%s", err, out, out2)
	}
}

func fuzzDecode[T any](f *testing.F, fam Family, decode func([]byte) (*T, error)) {
	fuzzCorpus(f, func(i int, data []byte) {
		if families[i] == fam {
			f.Add(data)
		}
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decode(data)
		if err == nil && v == nil {
			t.Fatal("nil event without error")
		}
		if err != nil {
			return
		}
		checkDecoded(t, data, v, err, func(b []byte) (any, error) { return decode(b) })
	})
}

func FuzzDecodeSound(f *testing.F)    { fuzzDecode(f, FamilySound, DecodeSound) }
func FuzzDecodeAnalysis(f *testing.F) { fuzzDecode(f, FamilyAnalysis, DecodeAnalysis) }
func FuzzDecodeIdentification(f *testing.F) {
	fuzzDecode(f, FamilyIdentification, DecodeIdentification)
}
func FuzzDecodeComposite(f *testing.F) { fuzzDecode(f, FamilyComposite, DecodeComposite) }

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-03-26T09:00:00Z", "2024-05-29 10:48:27.364000+00:00", "2026-03-26T09:00:00.123456789-05:30",
		"2026-03-26T09:00:00", "0000-01-01T00:00:00+01:00", "9999-12-31 23:59:59.999-23:59", "2024-02-29t00:00:00z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		std, stdErr := time.Parse(time.RFC3339Nano, s)
		if stdErr == nil && strictShape(s) && strictZone(s) {
			// Everything the standard library reads as RFC 3339 we read the same. (time.Parse
			// is laxer than RFC 3339 in places, e.g. one-digit hours, "," before the fraction
			// or offsets like +24:00 and -05:60; ParseTime is not, so only the strict shape is compared.)
			if err != nil || !got.Equal(std) {
				t.Fatalf("ParseTime(%q) = %v, %v; time.Parse = %v", s, got, err, std)
			}
		}
		if err != nil {
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("ParseTime(%q) not in UTC: %v", s, got)
		}
		if y := got.Year(); y >= 0 && y <= 9999 {
			back, err := ParseTime(got.Format(time.RFC3339Nano))
			if err != nil || !back.Equal(got) {
				t.Fatalf("ParseTime(%q) = %v does not survive formatting: %v", s, got, err)
			}
		}
		// The bytes variant used by Extract agrees.
		if gb, ok := parseTime([]byte(s)); !ok || !gb.Equal(got) {
			t.Fatalf("parseTime([]byte(%q)) = %v, %v", s, gb, ok)
		}
	})
}

func FuzzAppendCompact(f *testing.F) {
	fuzzCorpus(f, func(_ int, data []byte) { f.Add(data) })
	f.Fuzz(func(t *testing.T, data []byte) {
		got := AppendCompact([]byte("x"), data) // must not panic, valid or not
		if !json.Valid(data) {
			return
		}
		var want bytes.Buffer
		want.WriteByte('x')
		if err := json.Compact(&want, data); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("AppendCompact(%q) = %q, json.Compact = %q", data, got, want.Bytes())
		}
	})
}

// strictShape reports whether s has RFC 3339's fixed-width date and time digits.
func strictShape(s string) bool {
	if len(s) < 20 {
		return false
	}
	for i := 0; i < 19; i++ {
		switch i {
		case 4, 7:
			if s[i] != '-' {
				return false
			}
		case 10:
		case 13, 16:
			if s[i] != ':' {
				return false
			}
		default:
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
	}
	return s[19] != ','
}

// strictZone reports whether s ends in Z or in an offset within RFC 3339's ranges.
func strictZone(s string) bool {
	if strings.HasSuffix(s, "Z") {
		return true
	}
	if len(s) < 6 {
		return false
	}
	z := s[len(s)-6:]
	return (z[0] == '+' || z[0] == '-') && z[3] == ':' && z[1:3] < "24" && z[4:6] < "60"
}
