package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/store/storetest"
)

// BenchmarkReadLog reads back a log of 20,000 events, half appended one
// per message (alternating devices) and half in bundles, as a resuming
// stream or an events query does.
func BenchmarkReadLog(b *testing.B) {
	ctx := context.Background()
	l := storetest.Log(b, storetest.Backbone(b))
	const n = 10_000
	for i := 0; i < n; i += 100 {
		var single, bundled []store.Entry
		for j := i; j < i+100; j++ {
			single = append(single, entry("a", fmt.Sprint("s", j), fmt.Sprint("m", j%2)))
			bundled = append(bundled, entry("a", fmt.Sprint("b", j), "m9"))
		}
		for _, batch := range [][]store.Entry{single, bundled} {
			if _, err := l.Append(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		got := 0
		if err := l.Read(ctx, store.ReadOptions{}, func(store.Record) bool { got++; return true }); err != nil {
			b.Fatal(err)
		}
		if got != 2*n {
			b.Fatalf("read %d of %d", got, 2*n)
		}
	}
}
