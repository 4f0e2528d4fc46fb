package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/testkit"
)

func openAt(t *testing.T, dir string) (*store.Backbone, *store.Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := store.Open(ctx, store.Options{Name: "test", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	l, err := store.OpenLog(ctx, b.JS, store.LogOptions{MaxAge: time.Hour, DedupWindow: time.Minute, SoleWriter: true})
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	return b, l
}

func TestCheckerFindsDamage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const n = 1000
	b, l := openAt(t, dir)
	for i := 0; i < n; i++ {
		if _, err := l.Append(ctx, []store.Entry{entry("a", fmt.Sprint(i), "m1")}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := store.NewChecker(b.JS, dir).Check(ctx)
	if err != nil || len(res.Losses) != 0 || len(res.Streams) != 1 || res.Streams[0].LastSeq != n {
		t.Fatalf("intact store: %+v %v", res, err)
	}
	l.Close()
	b.Close()

	testkit.DamageBlock(t, dir, store.StreamName)

	b, l = openAt(t, dir)
	res, err = store.NewChecker(b.JS, dir).Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 1 || len(res.Losses) != 1 {
		t.Fatalf("losses %+v", res)
	}
	loss := res.New[0]
	left := res.Streams[0].Messages
	if loss.Stream != store.StreamName || uint64(loss.Messages) != n-left || loss.LastSeq != n || loss.FirstSeq != left+1 || loss.Bytes == 0 {
		t.Fatalf("loss %+v, %d messages left of %d", loss, left, n)
	}
	t.Logf("%v", loss)
	// What is left is still served.
	got := 0
	if err := l.Read(ctx, store.ReadOptions{}, func(store.Record) bool { got++; return true }); err != nil || uint64(got) != left {
		t.Fatalf("read %d events (%v), want %d", got, err, left)
	}
	l.Close()
	b.Close()

	// The next start still knows (JetStream no longer does), until the
	// loss is acknowledged.
	b, l = openAt(t, dir)
	defer b.Close()
	defer l.Close()
	c := store.NewChecker(b.JS, dir)
	res, err = c.Check(ctx)
	if err != nil || len(res.New) != 0 || len(res.Losses) != 1 || res.Losses[0].Messages != loss.Messages {
		t.Fatalf("after restart: %+v %v", res, err)
	}
	if acked, err := c.Acknowledge(); err != nil || len(acked) != 1 {
		t.Fatalf("acknowledge: %v %v", acked, err)
	}
	if res, err = store.NewChecker(b.JS, dir).Check(ctx); err != nil || len(res.Losses) != 0 {
		t.Fatalf("after acknowledge: %+v %v", res, err)
	}
}

func TestDataDirLocked(t *testing.T) {
	dir := t.TempDir()
	b, l := openAt(t, dir)
	l.Close()
	_, err := store.Open(context.Background(), store.Options{Name: "test2", DataDir: dir})
	if !errors.Is(err, store.ErrDataDirLocked) {
		t.Fatalf("second open: %v", err)
	}
	b.Close()
	b, l = openAt(t, dir) // released at close
	l.Close()
	b.Close()
}
