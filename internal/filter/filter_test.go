package filter_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/evtctl/evtctl/internal/filter"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// record builds the stored form of a seed event the way ingest does: the
// routing attributes of proto.Extract become the subject (store.Address)
// and the watchlist header, which is all a filter ever looks at.
func record(t *testing.T, fam proto.Family, seed string) store.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "seeds", seed))
	if err != nil {
		t.Fatal(err)
	}
	rt, errs := proto.Extract(fam, data)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", seed, errs)
	}
	addr := store.Address{Family: string(fam), Owner: "acme", DeviceID: rt.DeviceID, AgentID: rt.AgentID, EventType: rt.EventType}
	if fam == proto.FamilyComposite {
		addr = store.CompositeAddress("acme", rt.ID)
	}
	// Round-trip through the subject, as a consumer sees it.
	parsed, err := store.ParseSubject(addr.Subject())
	if err != nil {
		t.Fatal(err)
	}
	return store.Record{Address: parsed, Watchlists: rt.Watchlists}
}

// Attribute values of the seed events (testdata/seeds).
const (
	soundMic   = "mic_001"
	soundEdge  = "edge_001"
	soundLabel = "normal_speech_female"
	analysisDv = "device-uuid"
	camera     = "72aa3a70-0fc1-46f1-8a8e-eb50cd4f13a3"
	agent      = "a593c1be-d13e-4244-8179-1df0a6b725f7"
	watchlist  = "82e7d0c3-6e69-425b-ab79-faa19c2d9fe7"
)

func TestAttrsOfEveryFamily(t *testing.T) {
	cases := []struct {
		fam  proto.Family
		seed string
		want filter.Attrs
	}{
		{proto.FamilySound, "sound_event.json", filter.Attrs{DeviceID: soundMic, AgentID: soundEdge, EventType: soundLabel}},
		{proto.FamilyAnalysis, "analysis_result.json", filter.Attrs{DeviceID: analysisDv, EventType: proto.EventTypeAnalysis}},
		{proto.FamilyIdentification, "identification_webhook.json", filter.Attrs{DeviceID: camera, AgentID: agent, EventType: "identification", Watchlists: []string{watchlist}}},
		{proto.FamilyComposite, "composite_event.json", filter.Attrs{EventType: proto.EventTypeComposite}},
	}
	for _, c := range cases {
		got := filter.AttrsOf(record(t, c.fam, c.seed))
		if got.DeviceID != c.want.DeviceID || got.AgentID != c.want.AgentID || got.EventType != c.want.EventType ||
			len(got.Watchlists) != len(c.want.Watchlists) || (len(got.Watchlists) > 0 && got.Watchlists[0] != c.want.Watchlists[0]) {
			t.Errorf("%s: attrs %+v, want %+v", c.fam, got, c.want)
		}
	}
}

// TestMatchPerFamily runs every criterion alone and in combination against
// one seed event of each family: within a field any value matches, across
// fields all must, an empty field does not constrain.
func TestMatchPerFamily(t *testing.T) {
	type fl = proto.EventFilter
	cases := []struct {
		name   string
		f      fl
		sound  bool
		analys bool
		ident  bool
		compos bool
	}{
		{"empty filter passes everything", fl{}, true, true, true, true},

		// device_ids alone
		{"device: sound mic", fl{DeviceIDs: []string{soundMic}}, true, false, false, false},
		{"device: analysis device", fl{DeviceIDs: []string{analysisDv}}, false, true, false, false},
		{"device: camera", fl{DeviceIDs: []string{camera}}, false, false, true, false},
		{"device: any of three", fl{DeviceIDs: []string{"x", soundMic, camera}}, true, false, true, false},
		{"device: unknown", fl{DeviceIDs: []string{"nope"}}, false, false, false, false},
		{"device: composite id is not a device", fl{DeviceIDs: []string{"composite_evt_123"}}, false, false, false, false},

		// agent_ids alone
		{"agent: edge of the sound mic", fl{AgentIDs: []string{soundEdge}}, true, false, false, false},
		{"agent: camera agent", fl{AgentIDs: []string{agent}}, false, false, true, false},
		{"agent: unknown", fl{AgentIDs: []string{"nope"}}, false, false, false, false},

		// watchlist_ids alone: only identification events carry watchlists
		{"watchlist: the candidate's group", fl{WatchlistIDs: []string{watchlist}}, false, false, true, false},
		{"watchlist: any of two", fl{WatchlistIDs: []string{"other", watchlist}}, false, false, true, false},
		{"watchlist: unknown", fl{WatchlistIDs: []string{"other"}}, false, false, false, false},

		// event_types alone
		{"type: sound label", fl{EventTypes: []string{soundLabel}}, true, false, false, false},
		{"type: analysis_result", fl{EventTypes: []string{proto.EventTypeAnalysis}}, false, true, false, false},
		{"type: identification", fl{EventTypes: []string{"identification"}}, false, false, true, false},
		{"type: composite", fl{EventTypes: []string{proto.EventTypeComposite}}, false, false, false, true},
		{"type: two families", fl{EventTypes: []string{proto.EventTypeComposite, "identification"}}, false, false, true, true},

		// combinations: all fields must pass
		{"device+agent: both match", fl{DeviceIDs: []string{camera}, AgentIDs: []string{agent}}, false, false, true, false},
		{"device+agent: agent mismatches", fl{DeviceIDs: []string{camera}, AgentIDs: []string{soundEdge}}, false, false, false, false},
		{"device+type: sound", fl{DeviceIDs: []string{soundMic}, EventTypes: []string{soundLabel}}, true, false, false, false},
		{"device+type: type mismatches", fl{DeviceIDs: []string{soundMic}, EventTypes: []string{"glass_break"}}, false, false, false, false},
		{"agent+watchlist", fl{AgentIDs: []string{agent}, WatchlistIDs: []string{watchlist}}, false, false, true, false},
		{"type+watchlist: watchlist mismatches", fl{EventTypes: []string{"identification"}, WatchlistIDs: []string{"other"}}, false, false, false, false},
		{"all four match", fl{DeviceIDs: []string{camera}, AgentIDs: []string{agent}, WatchlistIDs: []string{watchlist}, EventTypes: []string{"identification"}}, false, false, true, false},
		{"all four, one wrong", fl{DeviceIDs: []string{camera}, AgentIDs: []string{agent}, WatchlistIDs: []string{watchlist}, EventTypes: []string{"sound"}}, false, false, false, false},
		{"lists across families", fl{DeviceIDs: []string{soundMic, analysisDv}, EventTypes: []string{soundLabel, proto.EventTypeAnalysis}}, true, true, false, false},
	}
	recs := map[string]store.Record{
		"sound":          record(t, proto.FamilySound, "sound_event.json"),
		"analysis":       record(t, proto.FamilyAnalysis, "analysis_result.json"),
		"identification": record(t, proto.FamilyIdentification, "identification_webhook.json"),
		"composite":      record(t, proto.FamilyComposite, "composite_event.json"),
	}
	for _, c := range cases {
		want := map[string]bool{"sound": c.sound, "analysis": c.analys, "identification": c.ident, "composite": c.compos}
		for fam, rec := range recs {
			if got := filter.Match(c.f, filter.AttrsOf(rec)); got != want[fam] {
				t.Errorf("%s / %s: Match = %v, want %v", c.name, fam, got, want[fam])
			}
		}
	}
}

// TestMatchAny: several filters of one endpoint are OR-ed; none passes all.
func TestMatchAny(t *testing.T) {
	ident := filter.AttrsOf(record(t, proto.FamilyIdentification, "identification_webhook.json"))
	sound := filter.AttrsOf(record(t, proto.FamilySound, "sound_event.json"))
	byCamera := proto.EventFilter{DeviceIDs: []string{camera}}
	byLabel := proto.EventFilter{EventTypes: []string{soundLabel}}
	never := proto.EventFilter{DeviceIDs: []string{"nope"}}
	cases := []struct {
		name         string
		fs           []proto.EventFilter
		ident, sound bool
	}{
		{"no filters: everything", nil, true, true},
		{"one filter", []proto.EventFilter{byCamera}, true, false},
		{"either filter", []proto.EventFilter{byCamera, byLabel}, true, true},
		{"a filter that never passes does not block the other", []proto.EventFilter{never, byLabel}, false, true},
		{"only filters that never pass", []proto.EventFilter{never}, false, false},
	}
	for _, c := range cases {
		if got := filter.MatchAny(c.fs, ident); got != c.ident {
			t.Errorf("%s / identification: %v, want %v", c.name, got, c.ident)
		}
		if got := filter.MatchAny(c.fs, sound); got != c.sound {
			t.Errorf("%s / sound: %v, want %v", c.name, got, c.sound)
		}
	}
}
