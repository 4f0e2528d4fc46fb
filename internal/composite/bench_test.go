package composite

import (
	"fmt"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// BenchmarkEngine10Rules1000Groups measures rule evaluation: 10 rules of
// one tenant, each including 2 of 10 labels and grouping by microphone over
// 100 microphones, so every event is checked against 10 rules, joins 2
// groups, and 1,000 groups are open. Events are 1 ms apart in event time,
// every 10th one 2 s late (within the lateness), and 1 in 20 (event, rule)
// pairs completes a composite (ids derived, events consumed), i.e. a
// composite for every 10 events: far more than real traffic, so the figure
// is conservative. The quiet variant never completes a window.
func BenchmarkEngine10Rules1000Groups(b *testing.B) {
	for _, v := range []struct {
		name string
		min  int
	}{{"composite-every-10-events", 20}, {"quiet", 1000}} {
		b.Run(v.name, func(b *testing.B) {
			e := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
			for i := range 10 {
				e.PutRule(proto.Rule{ID: fmt.Sprintf("rule_%02d", i), Owner: "acme", Name: "bench", Enabled: true,
					WindowSeconds: 30, MinEvents: v.min, GroupBy: proto.GroupByMic,
					IncludeLabelIDs: []string{fmt.Sprintf("label_%d", i), fmt.Sprintf("label_%d", (i+1)%10)}})
			}
			// A ring of events reused with advancing times: by the time one
			// comes round again (200 s of event time later) the engine has
			// long released it.
			ring := make([]Event, 200_000)
			for i := range ring {
				ring[i] = Event{ID: fmt.Sprintf("evt_%07d", i), LabelID: fmt.Sprintf("label_%d", i%10),
					MicID: fmt.Sprintf("mic_%03d", (i/10)%100), EdgeID: "edge_001"}
			}
			base := t0.UnixNano()
			emitted := 0
			feed := func(i int) {
				ev := &ring[i%len(ring)]
				ev.Time = base + int64(i)*int64(time.Millisecond)
				if i%10 == 9 {
					ev.Time -= int64(2 * time.Second)
				}
				emitted += len(e.Add("acme", ev))
			}
			for i := range 100_000 { // warm up: open every group
				feed(i)
			}
			emitted = 0
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				feed(100_000 + i)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			b.ReportMetric(float64(emitted)/float64(b.N), "composites/event")
			b.ReportMetric(float64(e.Stats().Groups), "groups")
			if e.Stats().Late != 0 || e.Stats().Duplicates != 0 {
				b.Fatalf("unexpected drops: %+v", e.Stats())
			}
		})
	}
}

// BenchmarkFromRecord is the service's per-event decoding (validating scan
// of the 1.2 KB seed sound event), paid before rule evaluation.
func BenchmarkFromRecord(b *testing.B) {
	rec := store.Record{Data: SeedSound(b, "evt_001", t0)}
	b.SetBytes(int64(len(rec.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromRecord(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPayload renders a three-event composite of the seed sound event.
func BenchmarkPayload(b *testing.B) {
	benchmarkPayload(b, Payload)
}

func benchmarkPayload(b *testing.B, render func(*Emission) ([]byte, error)) {
	var em Emission
	e := NewEngine(Config{EdgeName: "edge-01", AllowedLateness: 5 * time.Second})
	e.PutRule(docRule())
	for i := range 3 {
		evt, _ := FromRecord(store.Record{Data: SeedSound(b, fmt.Sprintf("evt_%03d", i), t0.Add(time.Duration(i)*time.Second))})
		if out := e.Add("acme", evt); len(out) > 0 {
			em = out[0]
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := render(&em); err != nil {
			b.Fatal(err)
		}
	}
}
