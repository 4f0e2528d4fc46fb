package stream

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/store"
)

// QuotaBucket is the KV bucket of per-owner stream counts (SSE and
// WebSocket, told apart by their keys' prefix, see QuotaKind). Its name
// predates the WebSocket counts.
const QuotaBucket = "evtctl_sse_streams"

// QuotaKind is what a Quota counts; it prefixes the owners' keys in
// QuotaBucket.
type QuotaKind string

// The kinds of stream quotas.
const (
	QuotaSSE QuotaKind = "o_" // limits.sse_per_user
	QuotaWS  QuotaKind = "w_" // limits.ws_per_user
)

// Quota enforces a per-owner stream limit (SSE or WebSocket) across every
// node sharing the JetStream backbone (docs/contract.md#analysis-sse: "across all nodes").
//
// Each owner has one KV entry holding, per node, that node's open streams
// and when it last confirmed them. Nodes change the entry with
// compare-and-set (optimistic concurrency on the KV revision), so two nodes
// admitting at the same moment cannot both take the last slot. Every node
// re-confirms its counts every ttl/3; a node that stops doing so (crashed)
// stops counting once its confirmation is older than ttl.
type Quota struct {
	kv     jetstream.KeyValue
	kind   QuotaKind
	limit  int
	node   string
	ttl    time.Duration
	now    func() time.Time
	mu     sync.Mutex
	counts map[string]int         // owner → streams open on this node
	locks  map[string]*sync.Mutex // owner → serialises this node's updates
}

type quotaEntry struct {
	Nodes map[string]nodeCount `json:"nodes"`
}

type nodeCount struct {
	N  int   `json:"n"`
	At int64 `json:"at"` // unix ms of the last confirmation
}

// OpenQuota opens the bucket for one kind of stream. node must be unique
// per running process.
func OpenQuota(ctx context.Context, js jetstream.JetStream, kind QuotaKind, replicas, limit int, node string, ttl time.Duration) (*Quota, error) {
	if replicas < 1 {
		replicas = 1
	}
	kv, err := store.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{Bucket: QuotaBucket, History: 1, Replicas: replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, err
	}
	return &Quota{kv: kv, kind: kind, limit: limit, node: node, ttl: ttl, now: time.Now, counts: map[string]int{}, locks: map[string]*sync.Mutex{}}, nil
}

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// key maps any owner string to a valid KV key.
func (q *Quota) key(owner string) string {
	return string(q.kind) + keyEncoding.EncodeToString([]byte(owner))
}

// Limit is the number of streams an owner may hold.
func (q *Quota) Limit() int { return q.limit }

// ErrQuotaExceeded is returned by Acquire when the owner is at the limit.
var ErrQuotaExceeded = errors.New("stream limit reached")

// Acquire takes one slot of owner's quota; Release gives it back.
func (q *Quota) Acquire(ctx context.Context, owner string) error {
	err := q.update(ctx, owner, func(e *quotaEntry, now int64) error {
		// Other nodes count as they last confirmed; this node counts what
		// it holds now (its stored figure may lag behind concurrent
		// acquires on this node).
		others := 0
		for node, c := range e.Nodes {
			if node == q.node {
				continue
			}
			if now-c.At > q.ttl.Milliseconds() {
				delete(e.Nodes, node) // a node that stopped confirming
				continue
			}
			others += c.N
		}
		q.mu.Lock()
		if others+q.counts[owner] >= q.limit {
			q.mu.Unlock()
			return ErrQuotaExceeded
		}
		q.counts[owner]++
		n := q.counts[owner]
		q.mu.Unlock()
		e.Nodes[q.node] = nodeCount{N: n, At: now}
		return nil
	}, func() {
		q.mu.Lock()
		q.counts[owner]--
		q.mu.Unlock()
	})
	return err
}

// Release gives back one stream of owner that Acquire counted.
func (q *Quota) Release(owner string) {
	q.mu.Lock()
	q.counts[owner]--
	if q.counts[owner] <= 0 {
		delete(q.counts, owner)
	}
	q.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = q.confirm(ctx, owner)
}

// confirm writes this node's current count for owner.
func (q *Quota) confirm(ctx context.Context, owner string) error {
	return q.update(ctx, owner, func(e *quotaEntry, now int64) error {
		q.mu.Lock()
		n := q.counts[owner]
		q.mu.Unlock()
		if n == 0 {
			delete(e.Nodes, q.node)
		} else {
			e.Nodes[q.node] = nodeCount{N: n, At: now}
		}
		return nil
	}, nil)
}

// ownerLock returns the mutex that serialises this node's updates of
// owner's entry: many streams of one owner opening at once on one node
// queue here instead of colliding in compare-and-set, so conflicts only
// come from other nodes.
func (q *Quota) ownerLock(owner string) *sync.Mutex {
	q.mu.Lock()
	defer q.mu.Unlock()
	l := q.locks[owner]
	if l == nil {
		l = &sync.Mutex{}
		q.locks[owner] = l
	}
	return l
}

// update applies change to owner's entry with compare-and-set, retrying on
// conflicts until ctx ends. undo runs when a change was applied locally
// but the write lost the race, before the retry.
func (q *Quota) update(ctx context.Context, owner string, change func(*quotaEntry, int64) error, undo func()) error {
	l := q.ownerLock(owner)
	l.Lock()
	defer l.Unlock()
	_, err := store.UpdateKey(ctx, q.kv, q.key(owner), func(value []byte) ([]byte, error) {
		var e quotaEntry
		if value != nil && json.Unmarshal(value, &e) != nil {
			e = quotaEntry{}
		}
		if e.Nodes == nil {
			e.Nodes = map[string]nodeCount{}
		}
		if err := change(&e, q.now().UnixMilli()); err != nil {
			return nil, err
		}
		return json.Marshal(e)
	}, undo)
	return err
}

// Run re-confirms this node's counts until ctx ends.
func (q *Quota) Run(ctx context.Context) {
	t := time.NewTicker(q.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		q.mu.Lock()
		owners := make([]string, 0, len(q.counts))
		for o := range q.counts {
			owners = append(owners, o)
		}
		q.mu.Unlock()
		for _, o := range owners {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_ = q.confirm(cctx, o)
			cancel()
		}
	}
}
