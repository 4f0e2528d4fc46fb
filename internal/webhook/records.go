package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Delivery records live in their own stream, one subject per delivery,
// whd.<endpoint>.<event cursor>, keeping only the newest message of each
// subject: a key-value store whose writes can be published asynchronously
// (a successful first attempt costs one async publish, not a round trip),
// and whose per-endpoint listing is a subject-filtered read in order of
// last change. Every node reads and writes the same records, so a delivery
// continues where it stopped on whichever node picks it up next.
const (
	recordStream  = "WEBHOOK_DELIVERIES"
	recordPrefix  = "whd"
	maxRecordMsgs = 2_000_000 // bounds the stream's per-subject index (memory of the NATS server)
)

// runLive names the run of attempts started by the live feed.
const runLive = "live"

// record is a delivery record as stored: the public Delivery plus the run
// it belongs to, which tells a redelivered message of the same run (go on
// counting) from a new retry or replay (start the schedule again).
type record struct {
	proto.Delivery
	Run         string `json:"run"`
	RunAttempts int    `json:"run_attempts"`
	seq         uint64 // record stream sequence, for paging
}

func (r record) terminal() bool {
	return r.Status == proto.DeliverySucceeded || r.Status == proto.DeliveryFailed
}

type records struct {
	js     jetstream.JetStream
	stream jetstream.Stream
}

func openRecords(ctx context.Context, js jetstream.JetStream, replicas int, maxAge time.Duration) (*records, error) {
	s, err := store.EnsureStream(ctx, js, jetstream.StreamConfig{
		Name:              recordStream,
		Description:       "evtctl webhook delivery records (newest state per endpoint and event)",
		Subjects:          []string{recordPrefix + ".>"},
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardOld,
		MaxMsgsPerSubject: 1,
		MaxMsgs:           maxRecordMsgs,
		MaxAge:            maxAge,
		Replicas:          max(replicas, 1),
		AllowDirect:       true,
	})
	if err != nil {
		return nil, fmt.Errorf("create delivery record stream: %w", err)
	}
	return &records{js: js, stream: s}, nil
}

func recordSubject(endpointID string, seq uint64) string {
	return recordPrefix + "." + store.Token(endpointID) + "." + strconv.FormatUint(seq, 10)
}

// get returns the record of one delivery.
func (r *records) get(ctx context.Context, endpointID string, seq uint64) (record, bool, error) {
	m, err := r.stream.GetLastMsgForSubject(ctx, recordSubject(endpointID, seq))
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return record{}, false, nil
		}
		return record{}, false, err
	}
	var rec record
	if err := json.Unmarshal(m.Data, &rec); err != nil {
		return record{}, false, err
	}
	rec.seq = m.Sequence
	return rec, true, nil
}

// put stores a record. With wait it returns once JetStream stored it (the
// attempt count of a failing delivery must survive a crash); without, the
// publish is asynchronous and a lost record only hides a success.
func (r *records) put(ctx context.Context, rec record, wait bool) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	msg := &nats.Msg{Subject: recordSubject(rec.EndpointID, mustSeq(rec.ID)), Data: data}
	if wait {
		_, err = r.js.PublishMsg(ctx, msg)
		return err
	}
	_, err = r.js.PublishMsgAsync(msg)
	return err
}

// list returns up to limit records of an endpoint changed after the record
// sequence after (or else, when since is set, at or after since), oldest
// change first, optionally only of one status, and the sequence to continue
// from (0 at the end).
func (r *records) list(ctx context.Context, endpointID string, after uint64, since time.Time, status string, limit int) ([]record, uint64, error) {
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{recordPrefix + "." + store.Token(endpointID) + ".*"},
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: 30 * time.Second,
	}
	switch {
	case after > 0: // a page token already lies past since
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = after + 1
	case !since.IsZero():
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cfg.OptStartTime = &since
	}
	cons, err := r.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, 0, err
	}
	// A record replaced by its newer state after the consumer counted it
	// is never delivered: ReadPending ends on the consumer's own count.
	var out []record
	var next uint64
	err = store.ReadPending(ctx, cons, 512, func(m jetstream.Msg, md *jetstream.MsgMetadata) bool {
		var rec record
		if json.Unmarshal(m.Data(), &rec) != nil || (status != "" && rec.Status != status) {
			return true
		}
		rec.seq = md.Sequence.Stream
		if len(out) == limit {
			// One more exists: the page ends at the previous record.
			next = out[len(out)-1].seq
			return false
		}
		out = append(out, rec)
		return true
	})
	if err != nil {
		return nil, 0, err
	}
	return out, next, nil
}

// purge drops every record of an endpoint (on delete).
func (r *records) purge(ctx context.Context, endpointID string) error {
	return r.stream.Purge(ctx, jetstream.WithPurgeSubject(recordPrefix+"."+store.Token(endpointID)+".>"))
}

func mustSeq(id string) uint64 {
	n, _ := strconv.ParseUint(id, 10, 64)
	return n
}
