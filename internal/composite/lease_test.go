package composite

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/store/storetest"
)

// TestLeaseOneHolder: one node holds the lease while it renews it; another
// takes over only after the holder stops renewing (a crash) or releases it,
// and never while the first still counts itself the holder.
func TestLeaseOneHolder(t *testing.T) {
	const ttl = time.Second
	ctx := context.Background()
	b := storetest.Backbone(t)
	kv, err := store.EnsureKeyValue(ctx, b.JS, jetstream.KeyValueConfig{Bucket: "test_leases", History: 1, TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	a, o := newLease(kv, "job", "a", ttl), newLease(kv, "job", "b", ttl)
	a.attempt(ctx)
	o.attempt(ctx)
	if !a.held() || o.held() {
		t.Fatalf("first claim: a held %v, b held %v; want only a", a.held(), o.held())
	}

	// While a renews, b never gets it.
	actx, stopA := context.WithCancel(ctx)
	aDone := make(chan struct{})
	go func() { defer close(aDone); a.run(actx) }()
	for end := time.Now().Add(3 * ttl); time.Now().Before(end); time.Sleep(ttl / 10) {
		o.attempt(ctx)
		if o.held() {
			t.Fatal("b claimed the lease while a was renewing it")
		}
		if !a.held() {
			t.Fatal("a lost the lease while renewing it")
		}
	}

	// a crashes (stops renewing without releasing): b takes over after the
	// TTL, by which time a no longer counts itself the holder.
	stopA()
	<-aDone
	crashed := time.Now()
	for !o.held() {
		if time.Since(crashed) > 5*ttl {
			t.Fatal("b did not take over after a stopped renewing")
		}
		time.Sleep(ttl / 20)
		o.attempt(ctx)
	}
	if a.held() {
		t.Fatal("a and b both count themselves the holder")
	}
	select {
	case <-o.gained:
	default:
		t.Fatal("b's take-over was not signalled")
	}
	t.Logf("take-over %v after the holder stopped renewing", time.Since(crashed).Round(10*time.Millisecond))

	// a's renewal after the take-over fails and it lets go.
	a.attempt(ctx)
	if a.held() {
		t.Fatal("a holds the lease again although b claimed it")
	}

	// b releases: a claims it at once.
	o.release(ctx)
	a.attempt(ctx)
	if !a.held() || o.held() {
		t.Fatalf("after release: a held %v, b held %v; want only a", a.held(), o.held())
	}
}
