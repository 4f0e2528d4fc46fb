package proto

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func fe(field, reason string) FieldError { return FieldError{Field: field, Reason: reason} }

type extractCase struct {
	name string
	in   string
	want Routing      // checked when errs is nil
	errs []FieldError // exact list expected
}

func runExtract(t *testing.T, f Family, cases []extractCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := Extract(f, []byte(tc.in))
			if !reflect.DeepEqual(errs, tc.errs) {
				t.Fatalf("errors:\n got %#v\nwant %#v", errs, tc.errs)
			}
			if tc.errs != nil {
				if !reflect.DeepEqual(got, Routing{}) {
					t.Errorf("routing with errors = %+v, want zero", got)
				}
				return
			}
			tc.want.Family = f
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("routing:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

const invalidEOF = "is not valid JSON: unexpected end of JSON input"

func TestExtractSound(t *testing.T) {
	seed := string(readSeed(t, "sound_event.json"))
	seedRouting := Routing{ID: "evt_001", DeviceID: "mic_001", AgentID: "edge_001",
		EventType: "normal_speech_female", Time: utc("2026-03-26T09:00:00Z")}
	min := func(extra string) string {
		return `{"id":"e1","label_id":"dog_bark","mic_id":"m1","created_at":"2026-03-26T09:00:00+09:00"` + extra + `}`
	}
	minRouting := Routing{ID: "e1", DeviceID: "m1", EventType: "dog_bark", Time: utc("2026-03-26T00:00:00Z")}
	withAgent := func(a string) Routing { r := minRouting; r.AgentID = a; return r }
	runExtract(t, FamilySound, []extractCase{
		{name: "seed", in: seed, want: seedRouting},
		{name: "seed compact", in: string(AppendCompact(nil, []byte(seed))), want: seedRouting},
		{name: "minimal", in: min(""), want: minRouting},
		{name: "surrounding whitespace", in: "\n\t " + min("") + " \r\n", want: minRouting},
		{name: "microphone without edge_id", in: min(`,"microphone":{"id":"m1"}`), want: minRouting},
		{name: "edge_id null", in: min(`,"microphone":{"edge_id":null}`), want: minRouting},
		{name: "microphone null", in: min(`,"microphone":null`), want: minRouting},
		{name: "edge_id", in: min(`,"microphone":{"x":[1,{"edge_id":"no"}],"edge_id":"edge-7"}`), want: withAgent("edge-7")},
		{name: "optional numbers null", in: min(`,"confidence":null,"sound_level":-1.5e3`), want: minRouting},
		{name: "escaped id", in: `{"id":"e\u0031","label_id":"dog_bark","mic_id":"m1","created_at":"2026-03-26T09:00:00+09:00"}`, want: minRouting},
		{name: "escaped key", in: `{"\u0069d":"e1","label_id":"dog_bark","mic_id":"m1","created_at":"2026-03-26T09:00:00+09:00"}`, want: minRouting},
		{name: "duplicate id last wins", in: min(`,"id":"e2"`), want: func() Routing { r := minRouting; r.ID = "e2"; return r }()},
		{name: "unknown fields kept out of routing", in: min(`,"ID":"other","extra":{"a":[true,false,null]}`), want: minRouting},

		{name: "empty object", in: `{}`, errs: []FieldError{
			fe("id", "is required"), fe("label_id", "is required"), fe("mic_id", "is required"), fe("created_at", "is required")}},
		{name: "wrong types", in: `{"id":5,"label_id":null,"mic_id":["m"],"created_at":1711443600}`, errs: []FieldError{
			fe("id", "must be a string"), fe("label_id", "must be a string"), fe("mic_id", "must be a string"), fe("created_at", "must be a string")}},
		{name: "empty strings", in: `{"id":"","label_id":"","mic_id":"","created_at":""}`, errs: []FieldError{
			fe("id", "must not be empty"), fe("label_id", "must not be empty"), fe("mic_id", "must not be empty"), fe("created_at", timeReason)}},
		{name: "time without zone", in: `{"id":"e1","label_id":"l","mic_id":"m1","created_at":"2026-03-26 09:00:00"}`, errs: []FieldError{
			fe("created_at", "is not a valid time (want RFC 3339 or 2006-01-02 15:04:05.000000+00:00)")}},
		{name: "numbers", in: min(`,"confidence":"0.9","confidence_threshold":true,"sound_level":{},"sound_level_threshold":[]`), errs: []FieldError{
			fe("confidence", "must be a number"), fe("confidence_threshold", "must be a number"),
			fe("sound_level", "must be a number"), fe("sound_level_threshold", "must be a number")}},
		{name: "microphone not object", in: min(`,"microphone":"mic_001"`), errs: []FieldError{fe("microphone", "must be an object")}},
		{name: "edge_id not string", in: min(`,"microphone":{"edge_id":1}`), errs: []FieldError{fe("microphone.edge_id", "must be a string or null")}},
		{name: "array", in: `[` + min("") + `]`, errs: []FieldError{fe("", "must be a JSON object")}},
		{name: "string", in: `"x"`, errs: []FieldError{fe("", "must be a JSON object")}},
		{name: "null", in: ` null `, errs: []FieldError{fe("", "must be a JSON object")}},
		{name: "empty input", in: ``, errs: []FieldError{fe("", invalidEOF)}},
		{name: "whitespace only", in: " \n", errs: []FieldError{fe("", invalidEOF)}},
		{name: "truncated", in: `{"id":"e1","label_id"`, errs: []FieldError{fe("", invalidEOF)}},
		{name: "trailing data", in: min("") + ` {}`, errs: []FieldError{fe("", "is not valid JSON: invalid character '{' after top-level value at offset 89")}},
		{name: "trailing comma", in: `{"id":"e1",}`, errs: []FieldError{fe("", "is not valid JSON: invalid character '}' looking for beginning of object key string at offset 11")}},
		{name: "bad nested value", in: min(`,"microphone":{"edge_id":tru}`), errs: []FieldError{fe("", "is not valid JSON: invalid character '}' in literal true (expecting 'e') at offset 115")}},
		{name: "bad array", in: `[1,]`, errs: []FieldError{fe("", "is not valid JSON: invalid character ']' looking for beginning of value at offset 3")}},
		{name: "control char in string", in: "{\"id\":\"a\nb\"}", errs: []FieldError{fe("", `is not valid JSON: invalid character '\n' in string literal at offset 8`)}},
	})
}

func TestExtractAnalysis(t *testing.T) {
	seed := string(readSeed(t, "analysis_result.json"))
	seedRouting := Routing{ID: "device-uuid/analysis-uuid/2026-01-29T10:00:00Z", DeviceID: "device-uuid",
		EventType: "analysis_result", Time: utc("2026-01-29T10:00:00Z")}
	ev := func(detections string) string {
		return `{"deviceId":"d","analysisId":"a","timestamp":"2026-01-29T10:00:00.250+00:00","detections":` + detections + `}`
	}
	evRouting := Routing{ID: "d/a/2026-01-29T10:00:00.250+00:00", DeviceID: "d", EventType: "analysis_result",
		Time: utc("2026-01-29T10:00:00.25Z")}
	runExtract(t, FamilyAnalysis, []extractCase{
		{name: "seed", in: seed, want: seedRouting},
		{name: "no detections", in: ev(`[]`), want: evRouting},
		{name: "bounds", in: ev(`[{"type":"person","confidence":0},{"type":"object","confidence":1},{"type":"x","confidence":1e-3}]`), want: evRouting},
		{name: "sceneId null", in: `{"sceneId":null,` + ev(`[]`)[1:], want: evRouting},

		{name: "empty object", in: `{}`, errs: []FieldError{
			fe("deviceId", "is required"), fe("analysisId", "is required"), fe("timestamp", "is required"), fe("detections", "is required")}},
		{name: "wrong types", in: `{"deviceId":1,"analysisId":"","sceneId":2,"timestamp":"2026-01-29T10:00:00","detections":{}}`, errs: []FieldError{
			fe("deviceId", "must be a string"), fe("analysisId", "must not be empty"), fe("sceneId", "must be a string"),
			fe("timestamp", timeReason), fe("detections", "must be an array")}},
		{name: "detections null", in: ev(`null`), errs: []FieldError{fe("detections", "must be an array")}},
		{name: "detection not object", in: ev(`[{"type":"person","confidence":0.5},"person"]`), errs: []FieldError{fe("detections[1]", "must be an object")}},
		{name: "detection fields", in: ev(`[{"type":"person","confidence":0.5},{},{"type":"","confidence":1.5},{"type":7,"confidence":"0.5"},{"type":"o","confidence":-0.1},{"type":"o","confidence":1e400}]`), errs: []FieldError{
			fe("detections[1].type", "is required"), fe("detections[1].confidence", "is required"),
			fe("detections[2].type", "must not be empty"), fe("detections[2].confidence", "must be between 0 and 1"),
			fe("detections[3].type", "must be a string"), fe("detections[3].confidence", "must be a number"),
			fe("detections[4].confidence", "must be between 0 and 1"),
			fe("detections[5].confidence", "must be between 0 and 1"),
		}},
		{name: "repeated detections: last counts", in: `{"detections":[{}],` + ev(`[]`)[1:], want: evRouting},
	})
}

func TestExtractIdentification(t *testing.T) {
	ws := string(readSeed(t, "identification_websocket.json"))
	wh := string(readSeed(t, "identification_webhook.json"))
	const camera = "72aa3a70-0fc1-46f1-8a8e-eb50cd4f13a3"
	const agent = "a593c1be-d13e-4244-8179-1df0a6b725f7"
	const watchlist = "82e7d0c3-6e69-425b-ab79-faa19c2d9fe7"
	ev := func(camera, candidates string) string {
		return `{"type":"identification","camera":` + camera + `,"candidates":` + candidates +
			`,"event":{"id":"e1","detection_date":"2024-05-29 10:48:27+02:00"}}`
	}
	r := func(agent string, wl ...string) Routing {
		return Routing{ID: "e1", DeviceID: "c1", AgentID: agent, EventType: "identification",
			Watchlists: wl, Time: utc("2024-05-29T08:48:27Z")}
	}
	runExtract(t, FamilyIdentification, []extractCase{
		{name: "websocket seed", in: ws, want: Routing{ID: "b4c32a55-685e-4055-9716-aeda8c892c84", DeviceID: camera, AgentID: agent,
			EventType: "identification", Watchlists: []string{watchlist}, Time: utc("2024-05-29T10:48:27.364Z")}},
		{name: "webhook seed", in: wh, want: Routing{ID: "348e726d-d78d-4a7f-b5b4-e6b3cf956b78", DeviceID: camera, AgentID: agent,
			EventType: "identification", Watchlists: []string{watchlist}, Time: utc("2024-05-29T09:44:15.727Z")}},
		{name: "agent null, no candidates", in: ev(`{"id":"c1","agent_id":null}`, `[]`), want: r("")},
		{name: "candidates null", in: ev(`{"id":"c1","agent_id":"a"}`, `null`), want: r("a")},
		{name: "distinct watchlists in first-seen order", in: ev(`{"id":"c1"}`,
			`[{"profile_groups":[{"id":"w2"},{"id":"w1"}]},{"profile":null,"profile_groups":null},{"profile_groups":[{"id":"w1"},{"id":"w3","color":"red"},{"id":""}]}]`),
			want: r("", "w2", "w1", "w3")},
		{name: "repeated profile_groups: last counts", in: ev(`{"id":"c1"}`, `[{"profile_groups":[{"id":"w1"}],"profile_groups":[{"id":"w2"}]}]`), want: r("", "w2")},

		{name: "empty object", in: `{}`, errs: []FieldError{fe("type", "is required"), fe("camera", "is required"), fe("event", "is required")}},
		{name: "not objects", in: `{"type":"identification","camera":"c1","candidates":{},"event":[]}`, errs: []FieldError{
			fe("camera", "must be an object"), fe("candidates", "must be an array"), fe("event", "must be an object")}},
		{name: "empty nested", in: `{"type":"","camera":{},"event":{}}`, errs: []FieldError{
			fe("type", "must not be empty"), fe("camera.id", "is required"), fe("event.id", "is required"), fe("event.detection_date", "is required")}},
		{name: "nested types", in: `{"type":"identification","camera":{"id":1,"agent_id":2},"event":{"id":"","detection_date":"2024-05-29"}}`, errs: []FieldError{
			fe("camera.id", "must be a string"), fe("camera.agent_id", "must be a string or null"),
			fe("event.id", "must not be empty"), fe("event.detection_date", timeReason)}},
		{name: "candidates", in: ev(`{"id":"c1"}`, `[1,{"profile_groups":{}},{"profile_groups":["w",{},{"id":5}]}]`), errs: []FieldError{
			fe("candidates[0]", "must be an object"), fe("candidates[1].profile_groups", "must be an array"),
			fe("candidates[2].profile_groups[0]", "must be an object"), fe("candidates[2].profile_groups[1].id", "is required"),
			fe("candidates[2].profile_groups[2].id", "must be a string")}},
	})
}

func TestExtractComposite(t *testing.T) {
	seed := string(readSeed(t, "composite_event.json"))
	runExtract(t, FamilyComposite, []extractCase{
		{name: "seed", in: seed, want: Routing{ID: "composite_evt_123", EventType: "composite", Time: utc("2026-03-26T08:59:45Z")}},
		{name: "empty object", in: `{}`, errs: []FieldError{
			fe("id", "is required"), fe("group_key", "is required"), fe("started_at", "is required"), fe("rule", "is required"), fe("events", "is required")}},
		{name: "wrong types", in: `{"id":"c","group_key":"","started_at":"yesterday","rule":[],"events":{}}`, errs: []FieldError{
			fe("group_key", "must not be empty"), fe("started_at", timeReason), fe("rule", "must be an object"), fe("events", "must be an array")}},
	})
}

func TestExtractUnknownFamily(t *testing.T) {
	_, errs := Extract("video", []byte(`{}`))
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, `"video"`) {
		t.Fatalf("errs = %v", errs)
	}
}

func TestExtractDeepNesting(t *testing.T) {
	// encoding/json's limit is 10000 levels; the sound event itself is one.
	deep := func(n int) string {
		return `{"x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	}
	if _, errs := Extract(FamilySound, []byte(deep(9999))); len(errs) != 4 {
		t.Errorf("depth 10000: %v", errs)
	}
	_, errs := Extract(FamilySound, []byte(deep(10000)))
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "exceeded max depth") {
		t.Errorf("depth 10001: %v", errs)
	}
}

func TestFamilies(t *testing.T) {
	want := []Family{"sound", "analysis", "identification", "composite"}
	if got := Families(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Families() = %v", got)
	}
	for _, f := range want {
		if got, err := ParseFamily(string(f)); got != f || err != nil {
			t.Errorf("ParseFamily(%q) = %q, %v", f, got, err)
		}
	}
	for _, s := range []string{"", "Sound", "x", "composites"} {
		_, err := ParseFamily(s)
		want := `unknown event family "` + s + `" (want sound, analysis, identification or composite)`
		if err == nil || err.Error() != want {
			t.Errorf("ParseFamily(%q) error = %v, want %s", s, err, want)
		}
	}
}
