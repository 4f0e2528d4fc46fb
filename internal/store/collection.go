package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// Change describes one change of a Collection item.
type Change[T any] struct {
	ID      string
	Value   T // zero when Deleted
	Deleted bool
}

// Collection is a JetStream KV bucket of JSON values watched into memory.
// Reads never touch storage; writes go to the bucket and are applied to the
// local snapshot at once (read-your-writes), and every node's watcher
// applies them within milliseconds. Listeners see each change exactly once,
// in revision order per key, from a single goroutine; they must not block.
type Collection[T any] struct {
	kv    jetstream.KeyValue
	mu    sync.RWMutex
	items map[string]versioned[T]
	subs  []func(Change[T])

	watcher jetstream.KeyWatcher
	// unwatch cancels the watch's context: nats.go keeps a goroutine
	// waiting on it, which a background context would leak at every Close.
	unwatch context.CancelFunc
	done    chan struct{}
	notify  sync.Mutex // serialises listener calls
}

// versioned is an item or, when deleted is set, a tombstone that keeps the
// last revision seen so that a late watcher update cannot resurrect it.
type versioned[T any] struct {
	value   T
	rev     uint64
	deleted bool
}

// ErrExists is returned by Create when the id is taken.
var ErrExists = errors.New("already exists")

// OpenCollection opens (creating if needed) the bucket and loads it.
func OpenCollection[T any](ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*Collection[T], error) {
	if replicas < 1 {
		replicas = 1
	}
	kv, err := EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:   bucket,
		History:  1,
		Storage:  jetstream.FileStorage,
		Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", bucket, err)
	}
	c := &Collection[T]{kv: kv, items: map[string]versioned[T]{}, done: make(chan struct{})}
	wctx, unwatch := context.WithCancel(context.Background())
	w, err := kv.WatchAll(wctx)
	if err != nil {
		unwatch()
		return nil, fmt.Errorf("watch bucket %s: %w", bucket, err)
	}
	c.watcher, c.unwatch = w, unwatch
	// The watcher first replays current values, then a nil marker.
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				unwatch()
				return nil, fmt.Errorf("watch bucket %s: closed", bucket)
			}
			if e == nil {
				go c.watch()
				return c, nil
			}
			c.apply(e.Key(), e.Revision(), e.Value(), e.Operation() != jetstream.KeyValuePut)
		case <-ctx.Done():
			_ = w.Stop()
			unwatch()
			return nil, ctx.Err()
		}
	}
}

func (c *Collection[T]) watch() {
	defer close(c.done)
	for e := range c.watcher.Updates() {
		if e == nil {
			continue
		}
		c.apply(e.Key(), e.Revision(), e.Value(), e.Operation() != jetstream.KeyValuePut)
	}
}

// apply installs a change if it is newer than what we hold.
func (c *Collection[T]) apply(id string, rev uint64, data []byte, deleted bool) {
	var v T
	if !deleted {
		if err := json.Unmarshal(data, &v); err != nil {
			return // not ours to interpret; ignore rather than crash
		}
	}
	c.notify.Lock()
	defer c.notify.Unlock()
	c.mu.Lock()
	cur, had := c.items[id]
	if had && cur.rev >= rev {
		c.mu.Unlock()
		return
	}
	live := had && !cur.deleted
	c.items[id] = versioned[T]{value: v, rev: rev, deleted: deleted}
	if deleted && !live {
		c.mu.Unlock()
		return
	}
	subs := c.subs
	c.mu.Unlock()
	ch := Change[T]{ID: id, Value: v, Deleted: deleted}
	for _, fn := range subs {
		fn(ch)
	}
}

// Subscribe registers fn for every later change.
func (c *Collection[T]) Subscribe(fn func(Change[T])) {
	c.mu.Lock()
	c.subs = append(c.subs, fn)
	c.mu.Unlock()
}

// Get returns the item with id.
func (c *Collection[T]) Get(id string) (T, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.items[id]
	if !ok || v.deleted {
		var zero T
		return zero, false
	}
	return v.value, true
}

// List returns every item, sorted by id.
func (c *Collection[T]) List() []T {
	c.mu.RLock()
	ids := make([]string, 0, len(c.items))
	for id, v := range c.items {
		if !v.deleted {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		out = append(out, c.items[id].value)
	}
	c.mu.RUnlock()
	return out
}

// Count returns the number of items for which keep is true (a tenant's
// items, for its quota), without sorting or copying them.
func (c *Collection[T]) Count(keep func(T) bool) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, v := range c.items {
		if !v.deleted && keep(v.value) {
			n++
		}
	}
	return n
}

// Len returns the number of items.
func (c *Collection[T]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, v := range c.items {
		if !v.deleted {
			n++
		}
	}
	return n
}

// Create stores a new item; ErrExists if id is taken.
func (c *Collection[T]) Create(ctx context.Context, id string, v T) error {
	if err := checkKey(id); err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	rev, err := c.kv.Create(ctx, id, data)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return ErrExists
		}
		return err
	}
	c.apply(id, rev, data, false)
	return nil
}

// Put stores (creates or replaces) an item.
func (c *Collection[T]) Put(ctx context.Context, id string, v T) error {
	if err := checkKey(id); err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	rev, err := c.kv.Put(ctx, id, data)
	if err != nil {
		return err
	}
	c.apply(id, rev, data, false)
	return nil
}

// Delete removes an item; deleting a missing item is not an error.
func (c *Collection[T]) Delete(ctx context.Context, id string) error {
	if err := checkKey(id); err != nil {
		return err
	}
	if err := c.kv.Delete(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return err
	}
	// The delete marker's revision is not returned; the watcher delivers it
	// later. Drop the item now, leaving a tombstone at the last revision we
	// saw so older updates still in flight are ignored.
	c.notify.Lock()
	c.mu.Lock()
	cur, had := c.items[id]
	live := had && !cur.deleted
	c.items[id] = versioned[T]{rev: cur.rev, deleted: true}
	subs := c.subs
	c.mu.Unlock()
	if live {
		for _, fn := range subs {
			fn(Change[T]{ID: id, Deleted: true})
		}
	}
	c.notify.Unlock()
	return nil
}

// Close stops watching.
func (c *Collection[T]) Close() {
	if c.watcher != nil {
		_ = c.watcher.Stop()
		<-c.done
		c.unwatch()
		c.watcher = nil
	}
}
