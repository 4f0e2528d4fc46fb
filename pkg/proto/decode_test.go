package proto

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// generic decodes JSON into maps and slices, the form in which two encodings of one
// document compare equal regardless of member order.
func generic(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return v
}

func decodeAny(f Family, data []byte) (any, error) {
	switch f {
	case FamilySound:
		return DecodeSound(data)
	case FamilyAnalysis:
		return DecodeAnalysis(data)
	case FamilyIdentification:
		return DecodeIdentification(data)
	default:
		return DecodeComposite(data)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	for _, s := range seedFiles {
		t.Run(s.name, func(t *testing.T) {
			in := readSeed(t, s.name)
			v, err := decodeAny(s.family, in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(generic(t, in), generic(t, out)) {
				t.Errorf("round trip changed the event:\n in %s\nout %s", AppendCompact(nil, in), out)
			}
		})
	}
	// The composite's embedded objects decode into their own types without loss too.
	var c struct {
		Events []SoundEvent
		Mics   []Microphone
		Labels []Label
	}
	in := readSeed(t, "composite_event.json")
	if err := json.Unmarshal(in, &c); err != nil {
		t.Fatal(err)
	}
	var raw struct{ Events, Mics, Labels []json.RawMessage }
	_ = json.Unmarshal(in, &raw)
	for i, v := range []any{c.Events[0], c.Mics[0], c.Labels[0]} {
		want := [][]json.RawMessage{raw.Events, raw.Mics, raw.Labels}[i][0]
		out, _ := json.Marshal(v)
		if !reflect.DeepEqual(generic(t, want), generic(t, out)) {
			t.Errorf("%T round trip:\n in %s\nout %s", v, want, out)
		}
	}
}

func TestDecodeFields(t *testing.T) {
	s, err := DecodeSound(readSeed(t, "sound_event.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "evt_001" || s.Confidence != 0.93 || s.SoundLevelThreshold != 65 || s.ReadAt != nil ||
		s.Label.Name.Ko != "female speech" || s.Microphone.Console.Port != 80 ||
		*s.Microphone.Console.Password != "password" || s.Microphone.Channel.Username != nil ||
		*s.Microphone.EdgeID != "edge_001" || s.Microphone.Location.Longitude != 126.944322 ||
		string(s.Microphone.Thresholds) != "{}" || s.Extra != nil {
		t.Errorf("sound decoded as %+v", s)
	}
	id, err := DecodeIdentification(readSeed(t, "identification_websocket.json"))
	if err != nil {
		t.Fatal(err)
	}
	if id.Camera.RealName != nil || *id.Camera.AgentID != "a593c1be-d13e-4244-8179-1df0a6b725f7" ||
		id.Candidates[0].Profile.Age != 30 || id.Candidates[0].ProfileGroups[0].Color != "orange.400" ||
		id.Event.DetectionDate != "2024-05-29 10:48:27.364000+00:00" || id.Extra != nil {
		t.Errorf("identification decoded as %+v", id)
	}
	a, err := DecodeAnalysis(readSeed(t, "analysis_result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Detections) != 2 || a.Detections[1].Type != "object" || a.Detections[0].Attributes != nil ||
		string(a.Detections[1].Attributes) != `{"color":"red"}` {
		t.Errorf("analysis decoded as %+v", a)
	}
	c, err := DecodeComposite(readSeed(t, "composite_event.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rule.WindowSeconds != 30 || c.Rule.GroupBy != GroupByLabel || len(c.Rule.IncludeMicIDs) != 2 ||
		len(c.Events) != 1 || c.StartedAt != "2026-03-26T08:59:45Z" {
		t.Errorf("composite decoded as %+v", c)
	}
}

func TestExtraFields(t *testing.T) {
	in := `{"id":"e1","vendor":{"x":[1,2]},"ID":"not-id","label":{"id":"l","name":{"ko":"k","en":"e","ja":"j"},"active":true,"color":"red"},` +
		`"confidence":0,"description":"","microphone":{"edge_id":null},"zeta":null,"alpha":"a&b"}`
	s, err := DecodeSound([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "e1" || string(s.Extra["ID"]) != `"not-id"` || string(s.Label.Name.Extra["ja"]) != `"j"` ||
		string(s.Label.Extra["color"]) != `"red"` || s.Microphone.EdgeID != nil {
		t.Fatalf("decoded %+v", s)
	}
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	// Explicit empty values of omitempty fields survive; unknown members come last, sorted.
	for _, want := range []string{`"confidence":0`, `"description":""`, `"microphone":{"id":"",`, `"edge_id":null`,
		`"is_read":false,"read_at":null`, `"ID":"not-id","alpha":"a\u0026b","vendor":{"x":[1,2]},"zeta":null}`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	// Setting a field overrides the value kept in Extra.
	s.Confidence = 0.5
	out, _ = json.Marshal(s)
	if !strings.Contains(string(out), `"confidence":0.5`) || strings.Contains(string(out), `"confidence":0,`) {
		t.Errorf("override lost: %s", out)
	}
	// MarshalJSON itself does not escape HTML, so links keep their spelling.
	b, _ := s.MarshalJSON()
	if !strings.Contains(string(b), `"alpha":"a&b"`) {
		t.Errorf("MarshalJSON escaped HTML: %s", b)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`null`, "must be a JSON object"},
		{`[]`, "must be a JSON object"},
		{``, "invalid JSON"},
		{`{"id":`, "unexpected end"},
		{`{"id":5}`, "id: json: cannot unmarshal number"},
		{`{"microphone":{"channel":{"port":"554"}}}`, "microphone.channel.port: json: cannot unmarshal string"},
		{`{"label":[]}`, "label: must be a JSON object"},
	} {
		_, err := DecodeSound([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeSound(%s) error = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestMarshalEmptyLists(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want []string
	}{
		{Composite{}, []string{`"include_label_ids":[]`, `"include_mic_ids":[]`, `"events":[]`, `"mics":[]`, `"labels":[]`}},
		{AnalysisResult{}, []string{`"detections":[]`}},
		{Identification{}, []string{`"candidates":[]`, `"real_name":null`}},
		{EventFilter{}, []string{`"device_ids":[]`, `"agent_ids":[]`, `"watchlist_ids":[]`, `"event_types":[]`}},
		{Rule{}, []string{`"include_label_ids":[]`, `"include_mic_ids":[]`}},
		{APIKey{}, []string{`"scopes":[]`}},
		{List[Endpoint]{}, []string{`{"items":[]}`}},
		{EventPage{}, []string{`{"items":[]}`}},
	} {
		b, err := json.Marshal(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%T: %s lacks %s", tc.v, b, w)
			}
		}
	}
}
