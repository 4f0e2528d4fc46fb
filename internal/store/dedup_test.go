package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDedupIndexForgetsAfterTheWindow(t *testing.T) {
	d := newDedupIndex(50 * time.Millisecond)
	ctx := context.Background()
	r, err := d.reserve(ctx, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	r.settle([]uint64{511, 0}) // a stored, b failed
	again, _ := d.reserve(ctx, []string{"a", "b"})
	if !again.ids[0].dup || again.ids[0].pos != 511 || again.ids[1].dup {
		t.Fatalf("after one store: %+v, want a (at 511) only a duplicate", again.ids)
	}
	again.settle(nil)
	time.Sleep(60 * time.Millisecond)
	late, _ := d.reserve(ctx, []string{"a"})
	if late.ids[0].dup {
		t.Fatal("a is still remembered after the window")
	}
	late.settle(nil)
	if n := d.size(); n != 0 {
		t.Errorf("%d ids remembered, want 0", n)
	}
}

func TestDedupIndexWaitsForAPendingStore(t *testing.T) {
	d := newDedupIndex(time.Minute)
	ctx := context.Background()
	first, _ := d.reserve(ctx, []string{"x"})
	got := make(chan *reservation)
	go func() {
		r, _ := d.reserve(ctx, []string{"x"})
		got <- r
	}()
	select {
	case <-got:
		t.Fatal("second reserve did not wait for the first store's outcome")
	case <-time.After(50 * time.Millisecond):
	}
	first.settle([]uint64{0}) // the store failed: the second must store it
	second := <-got
	if second.ids[0].dup || !second.ids[0].owned {
		t.Fatalf("after a failed store the id is %+v, want reserved by the second", second)
	}
	// Seen in the log while pending (stored, but the ack was lost): kept.
	d.learn(7, time.Now(), []string{"x"})
	second.settle(nil)
	third, _ := d.reserve(ctx, []string{"x"})
	if !third.ids[0].dup || third.ids[0].pos != position(7, 0, 1) {
		t.Fatalf("an id the log holds is %+v, want a duplicate at %d", third, position(7, 0, 1))
	}
	third.settle(nil)
}

func TestGroupBundles(t *testing.T) {
	a := Address{Family: "sound", Owner: "o", DeviceID: "m1"}
	b := Address{Family: "sound", Owner: "o", DeviceID: "m2"}
	other := Address{Family: "sound", Owner: "p", DeviceID: "m1"}
	an := Address{Family: "analysis", Owner: "o", DeviceID: "m1"}
	bn := Address{Family: "analysis", Owner: "o", DeviceID: "m2"}
	e := func(addr Address, data string, wl ...string) Entry {
		return Entry{Address: addr, ID: data, Data: []byte(data), Watchlists: wl}
	}
	big := string(make([]byte, maxBundleBytes/2))
	cases := []struct {
		name string
		in   []Entry
		want []int
	}{
		{"device change: one mixed bundle", []Entry{e(a, "1"), e(a, "2"), e(b, "3"), e(a, "4")}, []int{4}},
		{"analysis: subject change", []Entry{e(an, "1"), e(an, "2"), e(bn, "3"), e(an, "4")}, []int{2, 1, 1}},
		{"owner change", []Entry{e(a, "1"), e(a, "2"), e(other, "3"), e(a, "4")}, []int{2, 1, 1}},
		{"watchlists", []Entry{e(a, "1", "w"), e(a, "2", "w"), e(a, "3")}, []int{2, 1}},
		{"multi-line event alone", []Entry{e(a, "1"), e(a, "{\n}"), e(a, "3")}, []int{1, 1, 1}},
		{"bytes", []Entry{e(a, big), e(a, big), e(a, "x")}, []int{1, 2}},
		{"count", make([]Entry, MaxBundle+1), []int{MaxBundle, 1}},
	}
	for _, c := range cases {
		var got []int
		for _, run := range group(c.in) {
			got = append(got, len(run))
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: runs %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: runs %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
}

// A mixed bundle's headers name every distinct address; with long device
// ids they count toward the bundle's bytes, so no message outgrows
// maxBundleBytes (and NATS's max_payload) however long the addresses.
func TestMixedBundleHeadersCountTowardItsSize(t *testing.T) {
	long := strings.Repeat("%", 200) // escaped to three bytes each in a token
	var in []Entry
	for i := range 600 {
		in = append(in, Entry{Address: Address{Family: "sound", Owner: "o", DeviceID: fmt.Sprintf("%s%d", long, i), AgentID: long, EventType: long},
			ID: strconv.Itoa(i), Data: []byte(`{"id":"` + strconv.Itoa(i) + `"}`)})
	}
	runs := group(in)
	if len(runs) < 2 {
		t.Fatalf("%d runs: long addresses did not split the batch", len(runs))
	}
	n := 0
	for _, run := range runs {
		msg := message(run)
		size := len(msg.Data)
		for k, vs := range msg.Header {
			for _, v := range vs {
				size += len(k) + len(v) + 4
			}
		}
		if size > maxBundleBytes+4096 { // the fixed headers and the id list come on top
			t.Fatalf("a bundle of %d events is %d bytes", len(run), size)
		}
		recs, err := records(msg.Subject, msg.Header, 7, time.Time{}, msg.Data)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range recs {
			if r.Address != in[n+i].Address {
				t.Fatalf("event %d read back at %+v", n+i, r.Address)
			}
		}
		n += len(run)
	}
}

// idList reads what message writes into Evt-Ids exactly as encoding/json
// would, and refuses what is not a list of strings.
func TestIDListMatchesEncodingJSON(t *testing.T) {
	for _, ids := range [][]string{{}, {"a"}, {"evt-1", "evt-2", "é", "a,b", "<&>", "q\"uote", "back\\slash", "\x01", "bad\xff"}} {
		h, _ := json.Marshal(ids)
		got, err := idList(string(h))
		var want []string
		_ = json.Unmarshal(h, &want)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("%s: %q %v, want %q", h, got, err, want)
		}
	}
	for _, bad := range []string{``, `[`, `["a",]`, `["a"`, `[1]`, `["a" "b"]`, `{"a":1}`} {
		if _, err := idList(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// The journal's through never passes an append in progress: its messages
// may be acknowledged and not yet settled, and an open after kill -9 must
// read them back from the log.
func TestDedupThroughWaitsForAppendsInProgress(t *testing.T) {
	d := newDedupIndex(time.Minute)
	first, err := d.reserve(context.Background(), []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	d.learn(7, time.Now(), []string{"x"}) // message 7 stored meanwhile
	second, err := d.reserve(context.Background(), []string{"b"})
	if err != nil {
		t.Fatal(err)
	}
	second.settle([]uint64{position(9, 0, 1)})
	d.mu.Lock()
	through := d.throughLocked()
	d.mu.Unlock()
	if through != 0 {
		t.Fatalf("through %d while the first append (begun at 0) is in progress", through)
	}
	first.settle([]uint64{position(8, 0, 1)})
	d.mu.Lock()
	through = d.throughLocked()
	d.mu.Unlock()
	if through != 9 {
		t.Fatalf("through %d, want 9 once all settled", through)
	}
}
