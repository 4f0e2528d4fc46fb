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

// A batch interleaving four microphones event by event is stored as mixed
// bundles; a reader filtering by one device (or event type) sees exactly
// its events, in log order, with the positions Append returned, and
// resumes exactly from a cursor inside a mixed bundle.
func TestMixedBundlesReadByDevice(t *testing.T) {
	ctx := context.Background()
	l := storetest.Log(t, storetest.Backbone(t))
	var in []store.Entry
	for i := range 600 {
		e := entry("acme", fmt.Sprintf("m-%d", i), fmt.Sprintf("mic-%d", i%4))
		if i%3 == 0 {
			e.Address.EventType = "bark"
		}
		in = append(in, e)
	}
	res, err := l.Append(ctx, in)
	if err != nil || res.Accepted != len(in) {
		t.Fatalf("append: %+v %v", res, err)
	}
	st, err := l.State(ctx)
	if err != nil || st.Msgs != 3 { // 255 + 255 + 90
		t.Fatalf("%d messages, want 3 mixed bundles (%v)", st.Msgs, err)
	}
	// Another tenant's events must not leak in.
	if _, err := l.Append(ctx, []store.Entry{entry("other", "o-1", "mic-1"), entry("other", "o-2", "mic-2")}); err != nil {
		t.Fatal(err)
	}

	want := func(match func(i int) bool, from uint64) []uint64 {
		var out []uint64
		for i := range in {
			if match(i) && res.Seqs[i] >= from {
				out = append(out, res.Seqs[i])
			}
		}
		return out
	}
	read := func(filters []string, from uint64) []uint64 {
		t.Helper()
		var got []uint64
		err := l.Read(ctx, store.ReadOptions{Filters: filters, StartSeq: from}, func(r store.Record) bool {
			if r.Address.Owner != "acme" {
				t.Fatalf("another tenant's event %+v", r.Address)
			}
			if i := slices.Index(res.Seqs, r.Seq); i < 0 || string(r.Data) != string(in[i].Data) || r.Address != in[i].Address {
				t.Fatalf("record %d %s %+v is not the event stored there", r.Seq, r.Data, r.Address)
			}
			got = append(got, r.Seq)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	mic1 := store.Filter{Family: "sound", Owner: "acme", DeviceID: "mic-1"}.Subject()
	mic2 := store.Filter{Family: "sound", Owner: "acme", DeviceID: "mic-2"}.Subject()
	bark := store.Filter{Owner: "acme", EventType: "bark"}.Subject()
	tenant := store.Filter{Owner: "acme"}.Subject()
	for _, from := range []uint64{0, res.Seqs[1], res.Seqs[5], res.Seqs[300], res.Seqs[599]} {
		if got, w := read([]string{mic1}, from), want(func(i int) bool { return i%4 == 1 }, from); !slices.Equal(got, w) {
			t.Fatalf("mic-1 from %d: %d events %v…, want %d %v…", from, len(got), head(got), len(w), head(w))
		}
		if got, w := read([]string{bark}, from), want(func(i int) bool { return i%3 == 0 }, from); !slices.Equal(got, w) {
			t.Fatalf("bark from %d: %d events, want %d", from, len(got), len(w))
		}
		// Two devices at once (as the analysis stream asks): one mixed
		// subject for both, each event once.
		if got, w := read([]string{mic1, mic2}, from), want(func(i int) bool { return i%4 == 1 || i%4 == 2 }, from); !slices.Equal(got, w) {
			t.Fatalf("mic-1 and mic-2 from %d: %d events, want %d", from, len(got), len(w))
		}
		if got, w := read([]string{tenant}, from), want(func(int) bool { return true }, from); !slices.Equal(got, w) {
			t.Fatalf("tenant from %d: %d events, want %d", from, len(got), len(w))
		}
	}
	if got := read([]string{store.Filter{Family: "sound", Owner: "acme", DeviceID: "mic-9"}.Subject()}, 0); len(got) != 0 {
		t.Fatalf("an absent device read %d events", len(got))
	}

	// A follower of one device sees only its events, new ones too.
	var mu sync.Mutex
	var followed []store.Record
	stop, err := l.Follow(ctx, res.Seqs[297], []string{mic1}, func(r store.Record) {
		mu.Lock()
		followed = append(followed, r)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	later := []store.Entry{entry("acme", "late-1", "mic-1"), entry("acme", "late-2", "mic-2"), entry("acme", "late-3", "mic-1")}
	if _, err := l.Append(ctx, later); err != nil {
		t.Fatal(err)
	}
	w := len(want(func(i int) bool { return i%4 == 1 }, res.Seqs[297])) + 2
	testkit.Eventually(t, 10*time.Second, "the follower to see mic-1's events", func() bool { mu.Lock(); defer mu.Unlock(); return len(followed) >= w })
	mu.Lock()
	defer mu.Unlock()
	for i, r := range followed {
		if r.Address.DeviceID != "mic-1" || (i > 0 && r.Seq <= followed[i-1].Seq) {
			t.Fatalf("followed %d: %+v at %d", i, r.Address, r.Seq)
		}
	}
	if len(followed) != w || string(followed[w-1].Data) != string(later[2].Data) {
		t.Fatalf("followed %d events, want %d ending with late-3", len(followed), w)
	}
}

func head(s []uint64) []uint64 { return s[:min(len(s), 4)] }
