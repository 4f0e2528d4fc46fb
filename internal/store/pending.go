package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ReadPending calls fn with every message cons has to deliver, in batches
// of size fetched without waiting, until fn returns false or the consumer
// has nothing pending. The end is what the consumer counts, never an
// empty batch alone: a batch can come back empty while messages are still
// on their way (a clustered stream under load), and a message counted as
// pending can be gone before it is delivered (aged out, or replaced by a
// newer state), which only a fresh count then shows. Messages pending but
// not delivered for pendingGiveUp end the read with an error rather than
// hang it or cut it short without a word.
func ReadPending(ctx context.Context, cons jetstream.Consumer, size int, fn func(jetstream.Msg, *jetstream.MsgMetadata) bool) error {
	var emptySince time.Time
	for first := true; ; first = false {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch, err := cons.FetchNoWait(size)
		if err != nil {
			return err
		}
		got, left := 0, uint64(0)
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				return err
			}
			got, left = got+1, md.NumPending
			if !fn(m, md) {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
		if got > 0 {
			if left == 0 {
				return nil
			}
			emptySince = time.Time{}
			continue
		}
		if c := cons.CachedInfo(); first && c != nil && c.NumPending == 0 {
			// Nothing matched when the consumer was made: the common
			// empty read (a resume at the head, a query with no match)
			// costs no second round trip.
			return nil
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending == 0 {
			return nil
		}
		if emptySince.IsZero() {
			emptySince = time.Now()
		} else if time.Since(emptySince) > pendingGiveUp {
			return fmt.Errorf("storage counts %d messages still to read but delivered none for %v", info.NumPending, pendingGiveUp)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pendingRetry):
		}
	}
}

// pendingRetry is the pause before fetching again when messages are
// pending but none came.
const pendingRetry = 20 * time.Millisecond

// pendingGiveUp bounds how long messages may stay pending but undelivered
// (a variable for the tests).
var pendingGiveUp = 5 * time.Second
