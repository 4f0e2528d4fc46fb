package store_test

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/store/storetest"
)

// BenchmarkReopenDedupWindow is the start-up cost of the de-duplication
// index: a log holding ids events is opened again (a restart), which reads
// the window back before the log serves appends — from the log itself
// (read-back), or from the index's journal (journal.go), then the log's
// tail. bundled: batches of 1,000 sound events of four interleaved
// microphones (mixed bundles of 255); lone: events stored one per message
// (single POSTs). One op is one open. -reopen.ids sets the bundled size.
//
//	go test -run '^$' -bench BenchmarkReopenDedupWindow -benchtime 3x ./internal/store/
func BenchmarkReopenDedupWindow(b *testing.B) {
	for _, c := range []struct {
		name  string
		ids   int
		batch int
	}{{"bundled", *reopenIDs, 1000}, {"lone", 100_000, 1}} {
		for _, journal := range []bool{false, true} {
			how := "read-back"
			if journal {
				how = "journal"
			}
			b.Run(fmt.Sprintf("%s/ids=%d/%s", c.name, c.ids, how), func(b *testing.B) {
				ctx := context.Background()
				bb := storetest.Backbone(b)
				opts := store.LogOptions{MaxAge: time.Hour, DedupWindow: time.Hour, SoleWriter: true}
				if journal {
					opts.IndexDir = b.TempDir()
				}
				l, err := store.OpenLog(ctx, bb.JS, opts)
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < c.ids; i += c.batch {
					var es []store.Entry
					for j := range c.batch {
						es = append(es, store.Entry{
							Address: store.Address{Family: "sound", Owner: "acme", DeviceID: fmt.Sprintf("mic-%d", j%4), EventType: "speech"},
							ID:      fmt.Sprintf("evt-%d-%d", i, j), Data: []byte(`{"id":"x"}`)})
					}
					if _, err := l.Append(ctx, es); err != nil {
						b.Fatal(err)
					}
				}
				l.Close()
				b.ResetTimer()
				for range b.N {
					again, err := store.OpenLog(ctx, bb.JS, opts)
					if err != nil {
						b.Fatal(err)
					}
					again.Close()
				}
				b.ReportMetric(float64(c.ids)*float64(b.N)/b.Elapsed().Seconds(), "ids/s")
			})
		}
	}
}

var reopenIDs = flag.Int("reopen.ids", 1_000_000, "ids of the bundled case of BenchmarkReopenDedupWindow")
