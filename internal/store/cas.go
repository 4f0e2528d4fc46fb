package store

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"
)

// The compare-and-set of the KV entries several nodes change at once (the
// composite publisher lease, the per-owner stream counts): a write names
// the revision it was computed from and fails if another node wrote since.

// CompareAndSet writes value under key if the key is still at revision
// rev: rev 0 means the key must be absent (never written, deleted or
// expired by the bucket's TTL). It returns the new revision; an error
// means another writer got there first, or storage did not answer.
func CompareAndSet(ctx context.Context, kv jetstream.KeyValue, key string, value []byte, rev uint64) (uint64, error) {
	if rev == 0 {
		return kv.Create(ctx, key, value)
	}
	return kv.Update(ctx, key, value, rev)
}

// UpdateKey changes key's value with compare-and-set: it reads the value
// (nil when absent), writes what change makes of it, and on a write that
// fails (another node wrote in between) calls lost, if not nil, and starts
// again from a fresh read, until ctx ends. An error of change ends the
// update with that error and nothing written. It returns the new revision.
func UpdateKey(ctx context.Context, kv jetstream.KeyValue, key string, change func(value []byte) ([]byte, error), lost func()) (uint64, error) {
	for {
		var cur []byte
		var rev uint64
		got, err := kv.Get(ctx, key)
		switch {
		case err == nil:
			cur, rev = got.Value(), got.Revision()
		case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		default:
			return 0, err
		}
		next, err := change(cur)
		if err != nil {
			return 0, err
		}
		rev, err = CompareAndSet(ctx, kv, key, next, rev)
		if err == nil {
			return rev, nil
		}
		if lost != nil {
			lost()
		}
		if ctx.Err() != nil {
			return 0, err
		}
	}
}
