package store_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/store/storetest"
)

// Concurrent UpdateKeys of one key all land: each that loses a race reads
// again (after lost) and applies its change to the winner's value.
func TestUpdateKeyRetriesConflicts(t *testing.T) {
	ctx := context.Background()
	b := storetest.Backbone(t)
	kv, err := store.EnsureKeyValue(ctx, b.JS, jetstream.KeyValueConfig{Bucket: "cas_test", History: 1})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 4, 10
	var lost atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				_, err := store.UpdateKey(ctx, kv, "n", func(v []byte) ([]byte, error) {
					n, _ := strconv.Atoi(string(v)) // nil: absent, 0
					return []byte(strconv.Itoa(n + 1)), nil
				}, func() { lost.Add(1) })
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	e, err := kv.Get(ctx, "n")
	if err != nil || string(e.Value()) != strconv.Itoa(writers*each) {
		t.Fatalf("value %v %v, want %d", e, err, writers*each)
	}
	t.Logf("%d lost races", lost.Load())

	// An error of change ends the update with nothing written.
	stop := errors.New("stop")
	if _, err := store.UpdateKey(ctx, kv, "n", func([]byte) ([]byte, error) { return nil, stop }, nil); err != stop {
		t.Fatalf("change error: %v", err)
	}
	if e, _ := kv.Get(ctx, "n"); string(e.Value()) != strconv.Itoa(writers*each) {
		t.Fatal("written despite the error")
	}

	// CompareAndSet: revision 0 only on an absent key, else the current one.
	if _, err := store.CompareAndSet(ctx, kv, "n", []byte("x"), 0); err == nil {
		t.Fatal("revision 0 overwrote an existing key")
	}
	if _, err := store.CompareAndSet(ctx, kv, "n", []byte("x"), e.Revision()-1); err == nil {
		t.Fatal("a stale revision overwrote the key")
	}
	rev, err := store.CompareAndSet(ctx, kv, "n", []byte("x"), e.Revision())
	if err != nil || rev <= e.Revision() {
		t.Fatalf("current revision: %d %v", rev, err)
	}
	if err := kv.Delete(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CompareAndSet(ctx, kv, "n", []byte("y"), 0); err != nil {
		t.Fatalf("revision 0 on a deleted key: %v", err)
	}
}
