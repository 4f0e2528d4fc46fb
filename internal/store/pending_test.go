package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A consumer whose batches come back empty while it still counts messages
// pending (as a clustered stream can under load) is read to the end, not
// cut short at the first empty batch; one that never delivers what it
// counts ends the read with an error; one that counts nothing ends it.
func TestReadPendingEndsOnTheConsumersCount(t *testing.T) {
	ctx := context.Background()
	t.Run("empty batches while pending", func(t *testing.T) {
		c := &fakeConsumer{batches: [][]uint64{nil, nil, {2, 1}, nil, {0}}, pending: 3}
		var seen []uint64
		err := ReadPending(ctx, c, 10, func(_ jetstream.Msg, md *jetstream.MsgMetadata) bool {
			seen = append(seen, md.NumPending)
			return true
		})
		if err != nil || len(seen) != 3 {
			t.Fatalf("read %v, %v; want the three messages", seen, err)
		}
	})
	t.Run("nothing pending", func(t *testing.T) {
		c := &fakeConsumer{pending: 0}
		if err := ReadPending(ctx, c, 10, func(jetstream.Msg, *jetstream.MsgMetadata) bool { return true }); err != nil {
			t.Fatal(err)
		}
		if c.fetches != 1 || c.infos != 0 {
			t.Fatalf("%d fetches and %d counts for an empty consumer, want 1 and none", c.fetches, c.infos)
		}
	})
	t.Run("pending, never delivered", func(t *testing.T) {
		restore := setPendingGiveUp(100 * time.Millisecond)
		defer restore()
		c := &fakeConsumer{pending: 1}
		err := ReadPending(ctx, c, 10, func(jetstream.Msg, *jetstream.MsgMetadata) bool { return true })
		if err == nil || !strings.Contains(err.Error(), "1 messages still to read") {
			t.Fatalf("got %v, want an error naming what is pending", err)
		}
	})
}

func setPendingGiveUp(d time.Duration) func() {
	was := pendingGiveUp
	pendingGiveUp = d
	return func() { pendingGiveUp = was }
}

// fakeConsumer hands out batches of messages given by their NumPending
// (then empty ones); Info, and the count made at creation, always count
// pending.
type fakeConsumer struct {
	jetstream.Consumer
	batches [][]uint64
	pending uint64
	fetches int
	infos   int // fresh counts asked for
}

func (c *fakeConsumer) FetchNoWait(int) (jetstream.MessageBatch, error) {
	c.fetches++
	b := &fakeBatch{ch: make(chan jetstream.Msg, 16)}
	if len(c.batches) > 0 {
		for _, n := range c.batches[0] {
			b.ch <- fakeMsg{md: &jetstream.MsgMetadata{NumPending: n}}
		}
		c.batches = c.batches[1:]
	}
	close(b.ch)
	return b, nil
}

func (c *fakeConsumer) Info(context.Context) (*jetstream.ConsumerInfo, error) {
	c.infos++
	return &jetstream.ConsumerInfo{NumPending: c.pending}, nil
}

// CachedInfo is what the consumer counted when it was made.
func (c *fakeConsumer) CachedInfo() *jetstream.ConsumerInfo {
	return &jetstream.ConsumerInfo{NumPending: c.pending}
}

type fakeBatch struct{ ch chan jetstream.Msg }

func (b *fakeBatch) Messages() <-chan jetstream.Msg { return b.ch }
func (b *fakeBatch) Error() error                   { return nil }

type fakeMsg struct {
	jetstream.Msg
	md *jetstream.MsgMetadata
}

func (m fakeMsg) Metadata() (*jetstream.MsgMetadata, error) { return m.md, nil }
