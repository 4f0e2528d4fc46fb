package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Manual retries and replays are requests in a work-queue stream,
// whr.<endpoint>, one message per event to deliver again. A durable
// consumer shared by all nodes hands each to one node, which makes the
// delivery with the endpoint's worker (its concurrency limit and breaker)
// and acknowledges the request when the delivery is finished, so a replay
// survives restarts like live deliveries do.
const (
	requestStream   = "WEBHOOK_REQUESTS"
	requestPrefix   = "whr"
	requestConsumer = "webhook-requests"

	hdrSeq     = "Evt-Seq"
	hdrRun     = "Evt-Run"
	hdrTrigger = "Evt-Trigger"

	// requestSlots bounds requests being handled at once on a node (each
	// waits for its endpoint's concurrency slot).
	requestSlots = 256
)

type requests struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	cons   jetstream.Consumer
	slots  chan struct{}
}

func openRequests(ctx context.Context, js jetstream.JetStream, replicas int, ackWait time.Duration) (*requests, error) {
	st, err := store.EnsureStream(ctx, js, jetstream.StreamConfig{
		Name:        requestStream,
		Description: "evtctl webhook retry and replay requests",
		Subjects:    []string{requestPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.WorkQueuePolicy,
		Replicas:    max(replicas, 1),
		Duplicates:  10 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("create webhook request stream: %w", err)
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       requestConsumer,
		Description:   "evtctl webhook retries and replays, shared by every node",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    -1,
		MaxAckPending: maxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("create webhook request consumer: %w", err)
	}
	return &requests{js: js, stream: st, cons: cons, slots: make(chan struct{}, requestSlots)}, nil
}

func requestSubject(endpointID string) string { return requestPrefix + "." + store.Token(endpointID) }

// enqueue publishes one request asynchronously. The message id makes a
// repeated publish of the same run and event a no-op.
func (r *requests) enqueue(endpointID string, seq uint64, run, trigger string) (jetstream.PubAckFuture, error) {
	m := nats.NewMsg(requestSubject(endpointID))
	s := strconv.FormatUint(seq, 10)
	m.Header.Set(hdrSeq, s)
	m.Header.Set(hdrRun, run)
	m.Header.Set(hdrTrigger, trigger)
	m.Header.Set(nats.MsgIdHdr, run+"/"+s)
	return r.js.PublishMsgAsync(m)
}

func (r *requests) purge(ctx context.Context, endpointID string) error {
	return r.stream.Purge(ctx, jetstream.WithPurgeSubject(requestSubject(endpointID)))
}

// newRunID names a retry or replay run.
func newRunID(trigger string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return trigger + "_" + hex.EncodeToString(b[:])
}

// requestLoop pulls requests until Stop.
func (s *Service) requestLoop(ctx context.Context) {
	for ctx.Err() == nil {
		err := s.pullRequests(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("webhook request consumer interrupted; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Service) pullRequests(ctx context.Context) error {
	return pullWithSlots(ctx, s.reqs.cons, 64, s.reqs.slots, func(m jetstream.Msg) {
		s.run.Go(func(context.Context) {
			defer func() { <-s.reqs.slots }()
			s.handleRequest(ctx, m, time.Now())
		})
	})
}

// handleRequest turns one request into a delivery job on its endpoint's
// worker.
func (s *Service) handleRequest(ctx context.Context, m jetstream.Msg, pulled time.Time) {
	id := store.Untoken(strings.TrimPrefix(m.Subject(), requestPrefix+"."))
	seq, err := strconv.ParseUint(m.Headers().Get(hdrSeq), 10, 64)
	run, trigger := m.Headers().Get(hdrRun), m.Headers().Get(hdrTrigger)
	if err != nil || run == "" {
		_ = m.Term()
		return
	}
	if _, ok := s.eps.Endpoint(id); !ok {
		_ = m.Ack() // endpoint deleted
		return
	}
	w := s.worker(id)
	if w == nil {
		_ = m.NakWithDelay(30 * time.Second) // disabled (or not started here yet)
		return
	}
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		_ = m.Nak()
		return
	}
	defer func() { <-w.sem }()
	w.inflight.Add(1)
	defer w.inflight.Done()
	rec, err := s.events.Get(s.hardCtx, seq)
	if errors.Is(err, store.ErrNotFound) {
		s.recordGone(id, seq, run, trigger)
		_ = m.Ack()
		return
	}
	if err != nil {
		_ = m.NakWithDelay(time.Second)
		return
	}
	w.deliver(job{msg: m, rec: rec, run: run, trigger: trigger, lookup: true, pulled: pulled})
}

// recordGone marks a retry or replay of an event that retention removed.
func (s *Service) recordGone(endpointID string, seq uint64, run, trigger string) {
	ctx := s.hardCtx
	prev, _, _ := s.recs.get(ctx, endpointID, seq)
	prev.ID, prev.EndpointID, prev.WebhookID = strconv.FormatUint(seq, 10), endpointID, webhookID(endpointID, seq)
	prev.Status, prev.Trigger, prev.Run, prev.NextAttemptAt = proto.DeliveryFailed, trigger, run, nil
	prev.Error = "the event is no longer in the event log (storage.max_age / max_bytes)"
	if err := s.recs.put(ctx, prev, true); err != nil {
		s.log.Warn("record webhook delivery", "endpoint_id", endpointID, "err", err)
	}
}
