package demo

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

// Every generated event must be valid for its family, and sound events
// must come in bursts that a 30 s / 3-event rule can group.
func TestGeneratedEventsAreValid(t *testing.T) {
	g := New(nil, "edge-01", 5, nil)
	now := time.Date(2026, 3, 26, 9, 0, 0, 0, time.UTC)
	seen := map[proto.Family]int{}
	for i := 0; i < 2000; i++ {
		fam, data := g.Next(now.Add(time.Duration(i) * 200 * time.Millisecond))
		if !json.Valid(data) {
			t.Fatalf("%s: invalid JSON %s", fam, data)
		}
		if _, errs := proto.Extract(fam, data); len(errs) > 0 {
			t.Fatalf("%s: %+v in %s", fam, errs, data)
		}
		seen[fam]++
	}
	for _, f := range []proto.Family{proto.FamilySound, proto.FamilyAnalysis, proto.FamilyIdentification} {
		if seen[f] < 200 {
			t.Errorf("only %d %s events", seen[f], f)
		}
	}
}
