package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/store/storetest"
	"github.com/evtctl/evtctl/internal/testnet"
)

// TestLeafEdgeToCloud: an edge whose embedded server is a leaf node of a
// cloud server keeps its own log (nothing of the cloud's is stored on the
// edge, nothing of the edge's is captured directly by the cloud), and a
// cloud gateway with storage.edge_sources copies the edge's events, with
// their subjects, once each.
func TestLeafEdgeToCloud(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	leafPort, clientPort, cloudDir := testnet.Port(t), testnet.Port(t), t.TempDir()
	startCloud := func() *server.Server {
		return storetest.NATSServer(t, &server.Options{
			ServerName: "cloud", Port: clientPort, JetStream: true, StoreDir: cloudDir,
			LeafNode: server.LeafNodeOpts{Host: "127.0.0.1", Port: leafPort},
		})
	}
	ns := startCloud()
	cloud, err := store.Open(ctx, store.Options{NATSURL: ns.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cloud.Close)
	edge, err := store.Open(ctx, store.Options{Name: "edge-01", DataDir: t.TempDir(), LeafRemotes: []string{fmt.Sprintf("nats-leaf://127.0.0.1:%d", leafPort)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(edge.Close)
	for deadline := time.Now().Add(10 * time.Second); ns.NumLeafNodes() == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the edge did not connect as a leaf node")
		}
	}
	opts := store.LogOptions{MaxAge: time.Hour, DedupWindow: time.Minute}
	edgeLog, err := store.OpenLog(ctx, edge.JS, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.EdgeSources = []string{"edge-01"}
	cloudLog, err := store.OpenLog(ctx, cloud.JS, opts)
	if err != nil {
		t.Fatal(err)
	}
	entry := func(id string) []store.Entry {
		return []store.Entry{{Address: store.Address{Family: "sound", Owner: "acme", DeviceID: "mic-1", EventType: "x"}, ID: id, Data: []byte(`{"id":"` + id + `"}`)}}
	}
	for _, id := range []string{"on-edge", "on-edge"} { // the second is a duplicate
		if _, err := edgeLog.Append(ctx, entry(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cloudLog.Append(ctx, entry("on-cloud")); err != nil {
		t.Fatal(err)
	}
	count := func(l *store.Log) uint64 {
		info, err := l.Stream().Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs
	}
	// The cloud's log copies the edge's event (its own plus one); nothing
	// of the cloud's reaches the edge.
	for deadline := time.Now().Add(15 * time.Second); count(cloudLog) < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the edge's event did not reach the cloud's log")
		}
	}
	time.Sleep(500 * time.Millisecond)
	if n := count(cloudLog); n != 2 {
		t.Errorf("cloud log holds %d events, want 2 (its own and the edge's)", n)
	}
	if n := count(edgeLog); n != 1 {
		t.Errorf("edge log holds %d events, want only its own 1", n)
	}
	var copied store.Record
	if err := cloudLog.Read(ctx, store.ReadOptions{}, func(r store.Record) bool {
		if string(r.Data) == `{"id":"on-edge"}` {
			copied = r
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if copied.Address.Owner != "acme" || copied.Address.Family != "sound" || copied.Address.DeviceID != "mic-1" {
		t.Errorf("the copy in the cloud lost its routing: %+v", copied.Address)
	}

	// Buckets (keys, endpoints, rules…) stay apart as well.
	kvs := map[string]jetstream.KeyValue{}
	for name, b := range map[string]*store.Backbone{"edge": edge, "cloud": cloud} {
		kv, err := store.EnsureKeyValue(ctx, b.JS, jetstream.KeyValueConfig{Bucket: "evtctl_keys"})
		if err != nil {
			t.Fatal(err)
		}
		kvs[name] = kv
	}
	if _, err := kvs["edge"].Put(ctx, "edge-admin", []byte("x")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := kvs["cloud"].Get(ctx, "edge-admin"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("an edge's key reached the cloud's bucket (err %v)", err)
	}

	// Re-opening the cloud's log with the same sources changes nothing;
	// the edge's later events keep flowing.
	if _, err := store.OpenLog(ctx, cloud.JS, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := edgeLog.Append(ctx, entry("later")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); count(cloudLog) < 3; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a later edge event did not reach the cloud's log")
		}
	}
	// A flowing source is left alone.
	restarter := store.NewSourceRestarter(cloudLog)
	if r, err := restarter.Check(ctx, opts.EdgeSources); err != nil || len(r) != 0 {
		t.Fatalf("check of a flowing source: restarted %v, err %v", r, err)
	}
	// A source missing from the stream (a restart whose re-add failed) is
	// put back.
	cfg := cloudLog.Stream().CachedInfo().Config
	cfg.Sources = nil
	if _, err := cloud.JS.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := restarter.Check(ctx, opts.EdgeSources); err != nil {
		t.Fatal(err)
	}
	if info, err := cloudLog.Stream().Info(ctx); err != nil || len(info.Config.Sources) != 1 {
		t.Fatalf("sources after the check: %v (err %v), want the edge's", info.Config.Sources, err)
	}

	// Uplink outage: the cloud is down while the edge keeps ingesting;
	// once it is back, its log catches up with what it missed.
	ns.Shutdown()
	ns.WaitForShutdown()
	for i := range 5 {
		if _, err := edgeLog.Append(ctx, entry(fmt.Sprintf("offline-%d", i))); err != nil {
			t.Fatalf("the edge must ingest while the cloud is down: %v", err)
		}
	}
	startCloud()
	// NATS alone retries a failed source after 10 s × failures (about 40 s
	// here); the gateway's SourceRestarter, run each second as `evtctl
	// serve` does, restarts it once the edge answers.
	var restarts []string
	back := time.Now()
	for deadline := time.Now().Add(25 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		info, err := cloudLog.Stream().Info(ctx)
		if err == nil && info.State.Msgs == 8 {
			break
		}
		if r, err := restarter.Check(ctx, opts.EdgeSources); err == nil {
			restarts = append(restarts, r...)
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("after the outage: %v", err)
			}
			t.Fatalf("after the outage the cloud's log holds %d events, want 8; sources: %+v", info.State.Msgs, info.Sources)
		}
	}
	t.Logf("the cloud caught up %v after it came back; sources restarted: %v", time.Since(back).Round(time.Second), restarts)
	// Nothing was copied twice by the restart.
	time.Sleep(time.Second)
	if n := count(cloudLog); n != 8 {
		t.Errorf("cloud log holds %d events after the catch-up, want 8", n)
	}
}
