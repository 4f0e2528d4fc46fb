package store

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Follow delivers every event stored after it is called (or from position
// startSeq, when non-zero) to fn, in log order, on one goroutine, until
// stop is called. fn must not block for long: it is the node's live feed.
//
// An ordered consumer recreates itself after a NATS reconnect and resumes
// at the next sequence, so a follower sees no gap and no duplicate.
func (l *Log) Follow(ctx context.Context, startSeq uint64, filters []string, fn func(Record)) (stop func(), err error) {
	if err := checkSubjects(filters); err != nil {
		return nil, err
	}
	subjects, keep := subjectFilters(filters)
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects:    subjects,
		DeliverPolicy:     jetstream.DeliverNewPolicy,
		InactiveThreshold: 30 * time.Second,
	}
	if startSeq > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = max(1, msgSeq(startSeq))
	}
	cons, err := l.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		recs, err := RecordsFromMsg(m)
		if err != nil {
			return
		}
		mixed := isMixed(m.Subject())
		for _, rec := range recs {
			if rec.Seq >= startSeq && (!mixed || keep(rec)) {
				fn(rec)
			}
		}
	}, jetstream.PullMaxMessages(1024))
	if err != nil {
		return nil, err
	}
	return func() {
		cc.Stop()
		<-cc.Closed()
	}, nil
}
