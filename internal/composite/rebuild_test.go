package composite

import (
	"fmt"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// restoredFrom reads back what Payload wrote: rule, group and events.
func TestRestoredFromPayload(t *testing.T) {
	rule := docRule()
	rule.GroupBy = proto.GroupByEdge
	e := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
	e.PutRule(rule)
	var em []Emission
	for i := range 3 {
		evt, err := FromRecord(store.Record{Data: SeedSound(t, fmt.Sprintf("evt_%03d", i+1), t0.Add(time.Duration(i)*time.Second))})
		if err != nil {
			t.Fatal(err)
		}
		em = append(em, e.Add("acme", evt)...)
	}
	if len(em) != 1 {
		t.Fatalf("%d composites", len(em))
	}
	data, err := Payload(&em[0])
	if err != nil {
		t.Fatal(err)
	}
	got, ok := restoredFrom(store.Record{Address: store.CompositeAddress("acme", em[0].ID), Data: data})
	if !ok || got.Owner != "acme" || got.RuleID != "rule_001" || got.GroupValue != "edge_001" || len(got.Events) != 3 ||
		got.Events[2].ID != "evt_003" || got.Events[2].Time != t0.Add(2*time.Second).UnixNano() {
		t.Fatalf("restored %+v (ok %v)", got, ok)
	}
	if _, ok := restoredFrom(store.Record{Address: store.CompositeAddress("acme", "relayed_1"), Data: data}); ok {
		t.Fatal("a composite not derived here was restored")
	}
}
