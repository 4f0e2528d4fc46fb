package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/store/storetest"
)

func entry(owner, id, device string) store.Entry {
	return store.Entry{
		Address: store.Address{Family: "sound", Owner: owner, DeviceID: device, EventType: "speech"},
		ID:      id,
		Data:    []byte(fmt.Sprintf(`{"id":%q}`, id)),
	}
}

func TestAppendDeduplicatesAndReads(t *testing.T) {
	ctx := context.Background()
	l := storetest.Log(t, storetest.Backbone(t))

	res, err := l.Append(ctx, []store.Entry{entry("a", "1", "m1"), entry("a", "2", "m2"), entry("a", "1", "m1"), entry("b", "1", "m1")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 3 || res.Duplicates != 1 {
		t.Fatalf("accepted %d duplicates %d, want 3 and 1", res.Accepted, res.Duplicates)
	}
	if res.Seqs[2] != res.Seqs[0] {
		t.Errorf("duplicate seq %d, want original %d", res.Seqs[2], res.Seqs[0])
	}
	res, err = l.Append(ctx, []store.Entry{entry("a", "2", "m2")})
	if err != nil || res.Duplicates != 1 {
		t.Fatalf("resend: %+v %v", res, err)
	}

	var got []string
	err = l.Read(ctx, store.ReadOptions{Filters: []string{store.Filter{Owner: "a"}.Subject()}}, func(r store.Record) bool {
		got = append(got, r.Address.DeviceID+":"+string(r.Data))
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`m1:{"id":"1"}`, `m2:{"id":"2"}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("read %v, want %v", got, want)
	}

	// Start after the first event; empty range returns at once.
	var seqs []uint64
	if err := l.Read(ctx, store.ReadOptions{StartSeq: res.Seqs[0] + 1}, func(r store.Record) bool { seqs = append(seqs, r.Seq); return true }); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 1 {
		t.Fatalf("after seq: %v", seqs)
	}
	st, err := l.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Read(ctx, store.ReadOptions{StartSeq: st.LastSeq + 1}, func(store.Record) bool { t.Error("unexpected record"); return true }); err != nil {
		t.Fatal(err)
	}
	r, err := l.Get(ctx, res.Seqs[0])
	if err != nil || r.Address.EventType != "speech" {
		t.Fatalf("get: %+v %v", r, err)
	}
}

type item struct {
	Name string `json:"name"`
}

func TestCollectionWatchesOtherWriters(t *testing.T) {
	ctx := context.Background()
	b := storetest.Backbone(t)
	c1, err := store.OpenCollection[item](ctx, b.JS, "test_items", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	changes := make(chan store.Change[item], 10)
	c1.Subscribe(func(ch store.Change[item]) { changes <- ch })

	c2, err := store.OpenCollection[item](ctx, b.JS, "test_items", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Create(ctx, "x", item{Name: "one"}); err != nil {
		t.Fatal(err)
	}
	if err := c2.Create(ctx, "x", item{Name: "two"}); err != store.ErrExists {
		t.Fatalf("second create: %v", err)
	}
	if ch := <-changes; ch.ID != "x" || ch.Value.Name != "one" {
		t.Fatalf("change %+v", ch)
	}
	if err := c2.Delete(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if ch := <-changes; !ch.Deleted {
		t.Fatalf("change %+v", ch)
	}
	if _, ok := c1.Get("x"); ok {
		t.Fatal("deleted item still visible")
	}
	if _, ok := c2.Get("x"); ok {
		t.Fatal("deleted item visible to writer")
	}
}

func TestLastWithWildcards(t *testing.T) {
	ctx := context.Background()
	l := storetest.Log(t, storetest.Backbone(t))
	if _, err := l.Append(ctx, []store.Entry{entry("a", "1", "m1"), entry("b", "2", "m1"), entry("a", "3", "m2")}); err != nil {
		t.Fatal(err)
	}
	r, err := l.Last(ctx, store.Filter{DeviceID: "m1"}.Subject())
	if err != nil || string(r.Data) != `{"id":"2"}` {
		t.Fatalf("wildcard last: %s %v", r.Data, err)
	}
	r, err = l.Last(ctx, store.Address{Family: "sound", Owner: "a", DeviceID: "m1", EventType: "speech"}.Subject())
	if err != nil || string(r.Data) != `{"id":"1"}` {
		t.Fatalf("literal last: %s %v", r.Data, err)
	}
	if _, err := l.Last(ctx, store.Filter{DeviceID: "nope"}.Subject()); err != store.ErrNotFound {
		t.Fatalf("missing: %v", err)
	}
}

// The retention settings reach the stream, and a restart with other values
// changes them (the last node to start with different values wins).
func TestRetentionSettingsApply(t *testing.T) {
	ctx := context.Background()
	b := storetest.Backbone(t)
	open := func(o store.LogOptions) jetstream.StreamConfig {
		t.Helper()
		l, err := store.OpenLog(ctx, b.JS, o)
		if err != nil {
			t.Fatal(err)
		}
		info, err := l.Stream().Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.Config
	}
	cfg := open(store.LogOptions{MaxAge: 7 * 24 * time.Hour, MaxBytes: 1 << 30, DedupWindow: 30 * time.Minute})
	if cfg.MaxAge != 7*24*time.Hour || cfg.MaxBytes != 1<<30 || cfg.Duplicates != 30*time.Minute {
		t.Fatalf("stream retention %v / %d bytes / dedup %v", cfg.MaxAge, cfg.MaxBytes, cfg.Duplicates)
	}
	cfg = open(store.LogOptions{MaxAge: time.Hour, DedupWindow: time.Minute}) // max_bytes 0: no limit
	if cfg.MaxAge != time.Hour || cfg.MaxBytes != -1 || cfg.Duplicates != time.Minute {
		t.Fatalf("after the change: %v / %d bytes / dedup %v", cfg.MaxAge, cfg.MaxBytes, cfg.Duplicates)
	}
}

// A message on the log's subjects that is not an event (written by another
// program) is skipped, and a read whose last message it is still ends.
func TestReadEndsAfterForeignLastMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := storetest.Backbone(t)
	l := storetest.Log(t, b)
	if _, err := l.Append(ctx, []store.Entry{entry("a", "1", "m1")}); err != nil {
		t.Fatal(err)
	}
	subj := store.Address{Family: "sound", Owner: "a", DeviceID: "m1", EventType: "speech"}.Subject()
	foreign := &nats.Msg{Subject: subj, Header: nats.Header{"Evt-Bundle": {"many"}}, Data: []byte("not an event")}
	if _, err := b.JS.PublishMsg(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := l.Read(ctx, store.ReadOptions{}, func(r store.Record) bool { got = append(got, string(r.Data)); return true })
	if err != nil || len(got) != 1 || got[0] != `{"id":"1"}` {
		t.Fatalf("read %v, %v", got, err)
	}
}
