// Package storetest starts an embedded backbone, or a separate NATS
// server, for tests.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

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

// NATSServer starts a NATS server of o on loopback (quiet, no signal
// handlers), as an external server or a cluster's other end would be; it
// is shut down when the test ends.
func NATSServer(t testing.TB, o *server.Options) *server.Server {
	t.Helper()
	o.Host, o.NoLog, o.NoSigs = "127.0.0.1", true, true
	ns, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(30 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	return ns
}
