// Package storetest starts an embedded backbone for tests.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
)

// Backbone starts an embedded NATS server with JetStream in a temporary
// directory; it is closed when the test ends.
func Backbone(t testing.TB) *store.Backbone {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := store.Open(ctx, store.Options{Name: "test", DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open backbone: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// Log opens the event log on b with test-friendly retention.
func Log(t testing.TB, b *store.Backbone) *store.Log {
	t.Helper()
	l, err := store.OpenLog(context.Background(), b.JS, store.LogOptions{MaxAge: time.Hour, DedupWindow: time.Minute})
	if err != nil {
		t.Fatalf("open log: %v", err)
	}
	t.Cleanup(l.Close)
	return l
}
