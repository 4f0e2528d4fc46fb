package composite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/store"
)

// LeaseBucket is the KV bucket of the leases; its TTL is leaseTTL, so a
// lease that is not renewed disappears by itself.
const LeaseBucket = "evtctl_leases"

// leaseTTL bounds how long composites wait for a new publisher after the
// publishing node dies without releasing its lease.
const leaseTTL = 10 * time.Second

// publisherKey is the lease of the node that stores composites.
const publisherKey = "composite-publisher"

// lease is one node's claim on a KV key that at most one node holds at a
// time. The holder renews it every third of the TTL; it counts itself the
// holder only until a third of the TTL before the key could expire, so two
// nodes never both believe they hold it.
type lease struct {
	kv     jetstream.KeyValue
	key    string
	holder string
	ttl    time.Duration

	until  atomic.Int64  // unix ns until which this node holds the lease; 0 = not held
	gained chan struct{} // signalled when this node becomes the holder

	mu  sync.Mutex // rev is used by run and release
	rev uint64     // revision of our claim; 0 = none
}

func newLease(kv jetstream.KeyValue, key, name string, ttl time.Duration) *lease {
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	return &lease{kv: kv, key: key, holder: name + "/" + hex.EncodeToString(suffix), ttl: ttl, gained: make(chan struct{}, 1)}
}

// held reports whether this node holds the lease now.
func (l *lease) held() bool { return time.Now().UnixNano() < l.until.Load() }

// run claims or renews the lease until ctx ends.
func (l *lease) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.ttl / 3):
		}
		l.attempt(ctx)
	}
}

// attempt renews the lease if held, claims it otherwise.
func (l *lease) attempt(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	actx, cancel := context.WithTimeout(ctx, l.ttl/3)
	defer cancel()
	start := time.Now()
	valid := start.Add(l.ttl - l.ttl/3).UnixNano()
	held := l.rev != 0
	// Renew our claim (compare-and-set on its revision), or claim the key
	// if it is free (revision 0: absent, released or expired).
	rev, err := store.CompareAndSet(actx, l.kv, l.key, []byte(l.holder), l.rev)
	switch {
	case err == nil:
		l.rev = rev
		l.until.Store(valid)
		if !held {
			select {
			case l.gained <- struct{}{}:
			default:
			}
		}
	case held:
		// Someone else's claim, or ours expired: give up at once. Any other
		// error may be passing; we keep holding until our deadline.
		if e, gerr := l.kv.Get(actx, l.key); errors.Is(gerr, jetstream.ErrKeyNotFound) || (gerr == nil && e.Revision() != l.rev) {
			l.rev = 0
			l.until.Store(0)
		}
	default:
		// Held by another node (or NATS unavailable): try again later.
	}
}

// release gives the lease up so another node need not wait for the TTL.
func (l *lease) release(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.until.Store(0)
	if l.rev == 0 {
		return
	}
	_ = l.kv.Delete(ctx, l.key, jetstream.LastRevision(l.rev))
	l.rev = 0
}

// openLeases opens (creating if needed) the lease bucket.
func openLeases(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.KeyValue, error) {
	return store.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      LeaseBucket,
		Description: "evtctl leases: which node does a cluster-wide singleton job",
		History:     1,
		TTL:         leaseTTL,
		Replicas:    max(replicas, 1),
	})
}
