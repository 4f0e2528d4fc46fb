package tail

import (
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

func TestParseArgs(t *testing.T) {
	server, _ := url.Parse("https://gw.example:8100/base")
	tests := []struct {
		args    []string
		devices []string
		want    string // name kind family url, one per source, ";"-separated
		err     string
	}{
		{args: []string{"composites"}, want: "composites ws composite wss://gw.example:8100/base/api/v1/ws/composite-events"},
		{args: []string{"analysis"}, want: "analysis sse analysis https://gw.example:8100/base/api/v1/devices/analysis/stream/all"},
		{args: []string{"analysis"}, devices: []string{"a b", "c"}, want: "analysis:a b sse analysis https://gw.example:8100/base/api/v1/devices/a%20b/analysis/stream;analysis:c sse analysis https://gw.example:8100/base/api/v1/devices/c/analysis/stream"},
		{args: []string{"endpoint", "ep_1"}, want: "endpoint:ep_1 ws  wss://gw.example:8100/base/event-service/ws?endpoint_id=ep_1"},
		{args: []string{"ws://h:1/x", "http://h:2/sse"}, want: "h:1/x ws  ws://h:1/x;h:2/sse sse  http://h:2/sse"},
		{args: []string{"ws://h/api/v1/ws/composite-events?after=c9"}, want: "h/api/v1/ws/composite-events ws composite ws://h/api/v1/ws/composite-events"},
		{args: []string{}, err: "name at least one source"},
		{args: []string{"endpoint"}, err: "needs an endpoint id"},
		{args: []string{"composite"}, err: `unknown source "composite"`},
		{args: []string{"ftp://h/x"}, err: "unsupported scheme"},
		{args: []string{"ws://u:p@h/x"}, err: "not in the URL"},
		{args: []string{"composites", "composites"}, err: "named twice"},
	}
	for _, tt := range tests {
		specs, err := ParseArgs(tt.args, server, tt.devices)
		if !testkit.CheckErr(t, tt.args, err, tt.err) {
			continue
		}
		var got []string
		for _, s := range specs {
			kind := map[Kind]string{WebSocket: "ws", SSE: "sse"}[s.Kind]
			got = append(got, strings.Join([]string{s.Name, kind, string(s.Family), s.URL.String()}, " "))
		}
		if g := strings.Join(got, ";"); g != tt.want {
			t.Errorf("%v:\n got %s\nwant %s", tt.args, g, tt.want)
		}
	}
	specs, _ := ParseArgs([]string{"ws://h/api/v1/ws/composite-events?after=c9"}, nil, nil)
	if specs[0].After != "c9" || !specs[0].ResumeAfter {
		t.Errorf("after not taken from the URL: %+v", specs[0])
	}
}

func TestInferFamilyOnSeeds(t *testing.T) {
	for file, want := range map[string]proto.Family{
		"sound_event.json":              proto.FamilySound,
		"analysis_result.json":          proto.FamilyAnalysis,
		"identification_websocket.json": proto.FamilyIdentification,
		"identification_webhook.json":   proto.FamilyIdentification,
		"composite_event.json":          proto.FamilyComposite,
	} {
		data, err := os.ReadFile("../../testdata/seeds/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if got := InferFamily(data); got != want {
			t.Errorf("%s: %q, want %q", file, got, want)
		}
		it := newItem("s", "", "", data, time.Time{})
		if it.Family != want || it.Routing.EventType == "" || strings.ContainsAny(string(it.Event), "\n") {
			t.Errorf("%s: item %+v", file, it.Routing)
		}
	}
	op := []byte(`{"id":"endpoint.disabled:ep_1:1","type":"endpoint.disabled","endpoint_id":"ep_1","occurred_at":"2026-11-23T10:00:00Z"}`)
	if it := newItem("s", "", "", op, time.Time{}); it.Family != proto.FamilyOperational || it.Routing.EventType != proto.OpEndpointDisabled || it.Routing.DeviceID != "ep_1" {
		t.Errorf("operational: %q %+v", it.Family, it.Routing)
	}
	for _, bad := range []string{`[]`, `"x"`, `{}`, `{"type":"other"}`, `{"type":"other","endpoint_id":"e"}`, `not json`} {
		if got := InferFamily([]byte(bad)); got != "" {
			t.Errorf("%s: %q", bad, got)
		}
	}
}
