package store

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ReadOptions select a range of the log.
type ReadOptions struct {
	// Filters are subject filters (see Filter.Subject); none means all.
	Filters []string
	// StartSeq, when non-zero, starts at that position (inclusive).
	StartSeq uint64
	// StartTime, when set and StartSeq is zero, starts at the first event
	// received at or after it.
	StartTime time.Time
	// last starts at the newest matching event (see Log.Last).
	last bool
}

// Read calls fn for each stored event matching o, in log order, until fn
// returns false or the events stored when Read started are exhausted. It
// does not wait for new events.
func (l *Log) Read(ctx context.Context, o ReadOptions, fn func(Record) bool) error {
	if err := checkSubjects(o.Filters); err != nil {
		return err
	}
	filters, keep := subjectFilters(o.Filters)
	if o.last {
		filters = o.Filters // Last is not asked for mixable subjects (mixed.go)
	}
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects:    filters,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: 30 * time.Second,
	}
	switch {
	case o.last:
		cfg.DeliverPolicy = jetstream.DeliverLastPolicy
	case o.StartSeq > 0:
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = max(1, msgSeq(o.StartSeq))
	case !o.StartTime.IsZero():
		t := o.StartTime
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cfg.OptStartTime = &t
	}
	// Every read is a consumer on the server. A burst of reads (a client
	// opening and closing streams in a loop) must neither pile up
	// consumers until JetStream refuses new ones, for every tenant, nor
	// leave them behind: reads wait for one of a bounded number of slots,
	// and each deletes its consumer when done instead of leaving it to
	// the inactivity threshold.
	select {
	case l.readSlots <- struct{}{}:
		defer func() { <-l.readSlots }()
	case <-ctx.Done():
		return ctx.Err()
	}
	cons, err := l.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return err
	}
	defer l.deleteConsumer(cons)
	return ReadPending(ctx, cons, readBatch, func(m jetstream.Msg, md *jetstream.MsgMetadata) bool {
		recs, err := records(m.Subject(), m.Headers(), md.Sequence.Stream, md.Timestamp, m.Data())
		if err != nil {
			return true // a foreign message on our subjects; skip it
		}
		mixed := isMixed(m.Subject())
		for _, rec := range recs {
			if rec.Seq < o.StartSeq {
				continue // before the cursor, in the same bundle
			}
			if mixed && !keep(rec) {
				continue // another device's event in a mixed bundle
			}
			if !fn(rec) {
				return false
			}
		}
		return true
	})
}

// readBatch is how many log messages one fetch of Read asks for.
const readBatch = 256

// maxReads bounds the reads of one node in progress at once (see Read).
const maxReads = 128

// deleteConsumer removes a finished read's consumer from the server.
func (l *Log) deleteConsumer(cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil || info.Name == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Best effort: a consumer that could not be deleted goes after its
	// inactivity threshold.
	_ = l.stream.DeleteConsumer(ctx, info.Name)
}
