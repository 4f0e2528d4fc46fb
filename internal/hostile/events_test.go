package hostile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// Event builders: one valid event per family (the seeds' shape, trimmed),
// where any member can be replaced by raw JSON text, so a test can put a
// 100,000-character string, raw invalid UTF-8 or 1e999999 anywhere. The
// "_extra" key is appended as raw members before the closing brace.

type fields map[string]string

var (
	runID = fmt.Sprintf("%x", time.Now().UnixNano()&0xffffff)
	ctr   atomic.Int64
)

// uid is unique within the test binary's run.
func uid(prefix string) string { return fmt.Sprintf("%s_%s_%d", prefix, runID, ctr.Add(1)) }

// js is s as a JSON string (control characters escaped, invalid UTF-8 made
// U+FFFD by encoding/json: use raw for bytes that must arrive as they are).
func js(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// raw is a JSON string with s inside as is (s must hold no '"' or '\').
func raw(s string) string { return `"` + s + `"` }

func long(n int) string { return strings.Repeat("m", n) }

func pick(f fields, defaults fields) func(string) string {
	return func(k string) string {
		if v, ok := f[k]; ok {
			return v
		}
		return defaults[k]
	}
}

func extra(g func(string) string) string {
	if x := g("_extra"); x != "" {
		return "," + x
	}
	return ""
}

func soundJSON(f fields) []byte {
	g := pick(f, fields{
		"id": js(uid("snd")), "confidence": "0.93", "confidence_threshold": "0.5", "sound_level": "71.2",
		"sound_level_threshold": "65", "description": js("hostile suite"), "created_at": js("2026-03-26T09:00:00Z"),
		"label_id": js("normal_speech_female"), "mic_id": js("mic_001"), "microphone.id": js("mic_001"),
		"microphone.edge_id": js("edge_001"),
	})
	return []byte(`{"id":` + g("id") + `,"confidence":` + g("confidence") + `,"confidence_threshold":` + g("confidence_threshold") +
		`,"sound_level":` + g("sound_level") + `,"sound_level_threshold":` + g("sound_level_threshold") +
		`,"description":` + g("description") + `,"created_at":` + g("created_at") + `,"label_id":` + g("label_id") +
		`,"mic_id":` + g("mic_id") + `,"microphone":{"id":` + g("microphone.id") + `,"edge_id":` + g("microphone.edge_id") + `}` +
		extra(g) + `}`)
}

func analysisJSON(f fields) []byte {
	g := pick(f, fields{
		"deviceId": js("device-uuid"), "analysisId": js(uid("ana")), "sceneId": js("scene-uuid"),
		"timestamp": js("2026-01-29T10:00:00Z"), "detections[0].type": js("person"), "detections[0].confidence": "0.92",
	})
	return []byte(`{"deviceId":` + g("deviceId") + `,"analysisId":` + g("analysisId") + `,"sceneId":` + g("sceneId") +
		`,"timestamp":` + g("timestamp") + `,"detections":[{"type":` + g("detections[0].type") + `,"confidence":` +
		g("detections[0].confidence") + `,"boundingBox":{"x":120,"y":80,"width":64,"height":180}}]` + extra(g) + `}`)
}

func identificationJSON(f fields) []byte {
	g := pick(f, fields{
		"type": js("identification"), "activity_id": js("acf8120f-5047-4c15-80f5-4f5b56d250c2"),
		"camera.id": js("72aa3a70-0fc1-46f1-8a8e-eb50cd4f13a3"), "camera.agent_id": js("a593c1be-d13e-4244-8179-1df0a6b725f7"),
		"candidates[0].confidence": "0.9436722993850708", "candidates[0].profile_groups[0].id": js("82e7d0c3-6e69-425b-ab79-faa19c2d9fe7"),
		"event.id": js(uid("idf")), "event.detection_date": js("2024-05-29 09:44:15.727000+00:00"),
	})
	return []byte(`{"type":` + g("type") + `,"activity_id":` + g("activity_id") + `,"camera":{"id":` + g("camera.id") +
		`,"type":"IP","real_name":null,"agent_id":` + g("camera.agent_id") + `},"candidates":[{"profile":{"id":"d96fb010","age":30},` +
		`"profile_groups":[{"id":` + g("candidates[0].profile_groups[0].id") + `,"color":"orange.400"}],"confidence":` +
		g("candidates[0].confidence") + `}],"event":{"id":` + g("event.id") + `,"detection_date":` + g("event.detection_date") +
		`,"image":"f847fd16"}` + extra(g) + `}`)
}

func compositeJSON(f fields) []byte {
	g := pick(f, fields{
		"id": js(uid("cmp")), "group_key": js("edge-01:normal_speech_female"), "started_at": js("2026-03-26T08:59:45Z"),
		"rule.id": js("rule_001"),
	})
	return []byte(`{"id":` + g("id") + `,"group_key":` + g("group_key") + `,"rule":{"id":` + g("rule.id") +
		`,"name":"Repeated Speech Cluster","window_seconds":30,"min_events":3,"enabled":true,"group_by":"label_id"},` +
		`"events":[{"id":"evt_001","mic_id":"mic_001","label_id":"normal_speech_female","created_at":"2026-03-26T09:00:00Z"}],` +
		`"mics":[],"labels":[],"started_at":` + g("started_at") + extra(g) + `}`)
}

// builders by family.
var builders = map[string]func(fields) []byte{
	"sound": soundJSON, "analysis": analysisJSON, "identification": identificationJSON, "composite": compositeJSON,
}

// routing lists the routing attributes (and ids) of each family, by their
// field paths in ingest errors (docs/contract.md#families).
var routing = []struct{ family, field string }{
	{"sound", "id"}, {"sound", "mic_id"}, {"sound", "label_id"}, {"sound", "microphone.edge_id"},
	{"analysis", "deviceId"}, {"analysis", "analysisId"},
	{"identification", "type"}, {"identification", "camera.id"}, {"identification", "camera.agent_id"},
	{"identification", "event.id"}, {"identification", "candidates[0].profile_groups[0].id"},
	{"composite", "id"},
}

// numeric lists number members with a float64 meaning.
var numeric = []struct{ family, field string }{
	{"sound", "confidence"}, {"sound", "confidence_threshold"}, {"sound", "sound_level"}, {"sound", "sound_level_threshold"},
	{"analysis", "detections[0].confidence"}, {"identification", "candidates[0].confidence"},
}
