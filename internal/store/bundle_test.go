package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/store/storetest"
	"github.com/evtctl/evtctl/internal/testkit"
)

// batch returns n events of one microphone, then n/2 alternating between
// two others, so that it is stored as bundles of one microphone and mixed
// bundles.
func batch(prefix string, n int) []store.Entry {
	var es []store.Entry
	for i := 0; i < n; i++ {
		es = append(es, entry("acme", fmt.Sprintf("%s-%d", prefix, i), "mic-1"))
	}
	for i := 0; i < n/2; i++ {
		es = append(es, entry("acme", fmt.Sprintf("%s-x%d", prefix, i), fmt.Sprintf("mic-%d", 2+i%2)))
	}
	return es
}

func readAll(t *testing.T, l *store.Log, from uint64) []store.Record {
	t.Helper()
	var recs []store.Record
	if err := l.Read(context.Background(), store.ReadOptions{StartSeq: from}, func(r store.Record) bool {
		recs = append(recs, r)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestBundlesReadBackAsEvents(t *testing.T) {
	ctx := context.Background()
	l := storetest.Log(t, storetest.Backbone(t))
	in := batch("e", 600)
	res, err := l.Append(ctx, in)
	if err != nil || res.Accepted != len(in) || res.Duplicates != 0 {
		t.Fatalf("append: %+v %v", res, err)
	}
	st, err := l.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 600 of mic-1 then 300 alternating between two others: sound events
	// of one owner share mixed bundles, 255 + 255 + 255 + 135.
	if want := uint64(4); st.Msgs != want {
		t.Errorf("%d messages, want %d", st.Msgs, want)
	}

	recs := readAll(t, l, 0)
	if len(recs) != len(in) {
		t.Fatalf("read %d events, want %d", len(recs), len(in))
	}
	for i, r := range recs {
		if string(r.Data) != string(in[i].Data) || r.Address != in[i].Address || r.Seq != res.Seqs[i] {
			t.Fatalf("event %d: %s %+v at %d, want %s %+v at %d", i, r.Data, r.Address, r.Seq, in[i].Data, in[i].Address, res.Seqs[i])
		}
		if i > 0 && r.Seq <= recs[i-1].Seq {
			t.Fatalf("positions not increasing: %d after %d", r.Seq, recs[i-1].Seq)
		}
	}
	if st.FirstSeq != recs[0].Seq || st.LastSeq != recs[len(recs)-1].Seq {
		t.Errorf("state bounds %d..%d, want %d..%d", st.FirstSeq, st.LastSeq, recs[0].Seq, recs[len(recs)-1].Seq)
	}

	// Resuming after any event, inside a bundle or at its end, gives
	// exactly the rest; Get finds each event by its position.
	for _, i := range []int{0, 1, 252, 253, 254, 599, 600, 898} {
		rest := readAll(t, l, recs[i].Seq+1)
		if len(rest) != len(in)-i-1 || (len(rest) > 0 && rest[0].Seq != recs[i+1].Seq) {
			t.Fatalf("after event %d: %d events, want %d", i, len(rest), len(in)-i-1)
		}
		got, err := l.Get(ctx, recs[i].Seq)
		if err != nil || string(got.Data) != string(recs[i].Data) {
			t.Fatalf("get event %d: %s %v", i, got.Data, err)
		}
	}
	if _, err := l.Get(ctx, recs[len(recs)-1].Seq-1); err == nil { // a lone event is at index 255 only
		t.Error("get of a position no event has succeeded")
	}

	// A follower started inside a bundle sees the rest of it, then new events.
	var mu sync.Mutex
	var followed []uint64
	stop, err := l.Follow(ctx, recs[100].Seq, nil, func(r store.Record) {
		mu.Lock()
		followed = append(followed, r.Seq)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if _, err := l.Append(ctx, batch("later", 10)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the follower to see every new event", func() bool { mu.Lock(); defer mu.Unlock(); return len(followed) == len(in)-100+15 })
	mu.Lock()
	if followed[0] != recs[100].Seq || !slices.IsSorted(followed) {
		t.Errorf("follow from event 100 started at %d", followed[0])
	}
	mu.Unlock()
}

func TestBundledEventsAreDeduplicated(t *testing.T) {
	ctx := context.Background()
	b := storetest.Backbone(t)
	l := storetest.Log(t, b)
	in := batch("d", 300)
	first, err := l.Append(ctx, in)
	if err != nil || first.Accepted != len(in) {
		t.Fatalf("append: %+v %v", first, err)
	}
	check := func(name string, l *store.Log, es []store.Entry, accepted int) {
		t.Helper()
		res, err := l.Append(ctx, es)
		if err != nil || res.Accepted != accepted || res.Duplicates != len(es)-accepted {
			t.Fatalf("%s: %+v %v, want %d accepted of %d", name, res, err, accepted, len(es))
		}
	}
	// The same batch, a part of it grouped differently, single events.
	check("resend", l, in, 0)
	check("middle of a bundle", l, in[100:200], 0)
	check("single", l, in[150:151], 0)
	mixed := append(slices.Clone(in[10:20]), entry("acme", "new-1", "mic-1"), entry("acme", "new-1", "mic-1"))
	check("mixed with new", l, mixed, 1)

	// Another log on the same stream (a restart, or another node) reads
	// the window back and judges the same way.
	other := storetest.Log(t, b)
	check("after reopen", other, in[250:260], 0)
	// And learns what the first one stores from now on.
	fresh := batch("n", 50)
	check("new on one node", l, fresh, len(fresh))
	testkit.Eventually(t, 10*time.Second, "the other log to learn the fresh ids", func() bool { return other.Remembers(fresh[len(fresh)-1]) })
	check("new seen by the other", other, fresh, 0)

	if n := len(readAll(t, l, 0)); n != len(in)+1+len(fresh) {
		t.Errorf("%d events stored, want %d", n, len(in)+1+len(fresh))
	}
}

func TestConcurrentAppendsOfOneIDStoreItOnce(t *testing.T) {
	ctx := context.Background()
	l := storetest.Log(t, storetest.Backbone(t))
	const writers = 8
	in := batch("c", 100)
	var wg sync.WaitGroup
	results := make([]store.AppendResult, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if results[w], err = l.Append(ctx, in); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	accepted := 0
	for _, r := range results {
		accepted += r.Accepted
		if r.Accepted+r.Duplicates != len(in) {
			t.Errorf("result %+v does not add up to %d", r, len(in))
		}
	}
	if accepted != len(in) {
		t.Errorf("%d accepted in all, want each of the %d once", accepted, len(in))
	}
	if n := len(readAll(t, l, 0)); n != len(in) {
		t.Errorf("%d events stored, want %d", n, len(in))
	}
}

// A log that is its own only writer reads the window back at open, so a
// restart still recognises what the previous run stored.
func TestSoleWriterRemembersAcrossReopen(t *testing.T) {
	ctx := context.Background()
	b := storetest.Backbone(t)
	opts := store.LogOptions{MaxAge: time.Hour, DedupWindow: time.Minute, SoleWriter: true}
	first, err := store.OpenLog(ctx, b.JS, opts)
	if err != nil {
		t.Fatal(err)
	}
	in := batch("s", 300)
	if res, err := first.Append(ctx, in); err != nil || res.Accepted != len(in) {
		t.Fatalf("append: %+v %v", res, err)
	}
	first.Close()

	again, err := store.OpenLog(ctx, b.JS, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	res, err := again.Append(ctx, append(slices.Clone(in[40:60]), in[400]))
	if err != nil || res.Accepted != 0 || res.Duplicates != 21 {
		t.Fatalf("resend after reopen: %+v %v, want 21 duplicates", res, err)
	}
}
