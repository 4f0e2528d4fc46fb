package proto

import "testing"

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		fam         Family
		event, want string
	}{
		{FamilySound, `{"id":"s1","label_id":"scream","confidence":0.912,"description":"scream near Lobby Mic","microphone":{"console":{"password":"x"}}}`, "scream 0.91 scream near Lobby Mic"},
		{FamilyAnalysis, `{"deviceId":"cam-1","detections":[{"type":"person","confidence":0.9},{"type":"object"}]}`, "2 detections, person 0.90, object"},
		{FamilyIdentification, `{"camera":{"title":"rtsp://cam"},"candidates":[{"profile":{"id":"d96fb010-8da5-49a6-b571-b48cb241a923"},"confidence":0.87}]}`, "1 candidate, best d96fb010 0.87 rtsp://cam"},
		{FamilyComposite, `{"group_key":"edge-01:scream","events":[{},{},{}],"rule":{"name":"speech"}}`, "edge-01:scream 3 events speech"},
		{FamilyOperational, `{"type":"delivery.exhausted","endpoint_id":"ep_1","delivery_id":"42","reason":"the receiver answered 500"}`, "delivery.exhausted ep_1 42 the receiver answered 500"},
		{FamilySound, `not json`, "not json"},
	} {
		if got := Summary(tc.fam, []byte(tc.event)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.fam, got, tc.want)
		}
	}
}
