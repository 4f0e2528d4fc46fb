package store

import (
	"context"
	"encoding/json"
	"errors"
)

// ErrUnchanged is returned by an Update's change function to write nothing.
var ErrUnchanged = errors.New("unchanged")

// Update changes an existing item with compare-and-set: change gets the
// current value and returns the new one, or ErrUnchanged (nothing is
// written, Update returns false, nil), or another error (returned). Two
// nodes updating the same item at once both see the other's write: the
// loser reads again and recomputes. ErrNotFound when the item is absent.
func (c *Collection[T]) Update(ctx context.Context, id string, change func(T) (T, error)) (T, bool, error) {
	var out T
	changed := false
	rev, err := UpdateKey(ctx, c.kv, id, func(cur []byte) ([]byte, error) {
		if cur == nil {
			return nil, ErrNotFound
		}
		var v T
		if err := json.Unmarshal(cur, &v); err != nil {
			return nil, err
		}
		next, err := change(v)
		if err != nil {
			return nil, err
		}
		out, changed = next, true
		return json.Marshal(next)
	}, nil)
	if errors.Is(err, ErrUnchanged) {
		return out, false, nil
	}
	if err != nil {
		return out, false, err
	}
	data, _ := json.Marshal(out)
	c.apply(id, rev, data, false)
	return out, changed, nil
}
