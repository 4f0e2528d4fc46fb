package webhook

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/filter"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// worker runs one webhook endpoint on this node: it pulls the endpoint's
// durable consumer and makes at most webhooks.concurrency attempts at once.
type worker struct {
	s     *Service
	id    string
	owner string
	since time.Time // endpoint creation: where its consumer starts
	sem   chan struct{}
	br    *breaker

	checkTil atomic.Int64 // unix nanos; see mayBeRedelivered
	cons     atomic.Pointer[jetstream.Consumer]
	cancel   context.CancelFunc
	inflight sync.WaitGroup
}

func newWorker(s *Service, ep proto.Endpoint) *worker {
	return &worker{
		s: s, id: ep.ID, owner: ep.Owner, since: ep.CreatedAt,
		sem: make(chan struct{}, max(s.cfg.Concurrency, 1)),
		br:  newBreaker(s.cfg.BreakerFailures, s.cfg.BreakerCooldown),
	}
}

func (w *worker) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	w.cancel = cancel
	w.s.run.Go(func(context.Context) {
		w.run(ctx)
		w.inflight.Wait()
	})
}

// stop ends pulling; attempts in flight finish on their own.
func (w *worker) stop() { w.cancel() }

func (w *worker) consumer() jetstream.Consumer {
	if c := w.cons.Load(); c != nil {
		return *c
	}
	return nil
}

// run pulls until ctx ends, re-creating the consumer after errors (it may
// have been deleted by a node that briefly did not know the endpoint).
func (w *worker) run(ctx context.Context) {
	for ctx.Err() == nil {
		err := w.pull(ctx)
		if ctx.Err() != nil {
			return
		}
		w.s.log.Warn("webhook consumer interrupted; retrying", "endpoint_id", w.id, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// ensureConsumer opens the endpoint's durable consumer, creating it on
// first use. Every node computes the same configuration.
func (w *worker) ensureConsumer(ctx context.Context) (jetstream.Consumer, error) {
	st := w.s.events.Stream()
	name := consumerName(w.id)
	if c, err := st.Consumer(ctx, name); err == nil {
		w.checkTil.Store(time.Now().Add(2 * w.s.ackWait).UnixNano())
		return c, nil
	} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, err
	}
	startAt := w.since
	c, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "evtctl webhook deliveries of endpoint " + w.id,
		FilterSubject: store.Filter{Owner: w.owner}.Subject(),
		DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime:  &startAt,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       w.s.ackWait,
		MaxDeliver:    -1,
		MaxAckPending: maxAckPending,
	})
	if errors.Is(err, jetstream.ErrConsumerExists) {
		w.checkTil.Store(time.Now().Add(2 * w.s.ackWait).UnixNano())
		return st.Consumer(ctx, name) // another node won the race
	}
	return c, err
}

func (w *worker) pull(ctx context.Context) error {
	cons, err := w.ensureConsumer(ctx)
	if err != nil {
		return err
	}
	w.cons.Store(&cons)
	return pullWithSlots(ctx, cons, w.s.batch, w.sem, func(m jetstream.Msg) {
		recs, err := store.RecordsFromMsg(m)
		if err != nil {
			_ = m.Term() // not an event; never deliverable
			<-w.sem
			return
		}
		md, _ := m.Metadata()
		lookup := w.mayBeRedelivered(md)
		msgs := shares(m, len(recs))
		for i, rec := range recs {
			// The first event has the slot taken above; each other event
			// of a bundle takes one of its own.
			if i > 0 && !w.acquire(ctx, m) {
				for _, rest := range msgs[i:] {
					_ = rest.Nak() // stopping: back to JetStream
				}
				break
			}
			j := job{msg: msgs[i], rec: rec, run: runLive, trigger: proto.TriggerLive, lookup: lookup, pulled: time.Now()}
			w.inflight.Add(1)
			go func() {
				defer w.inflight.Done()
				defer func() { <-w.sem }()
				w.deliver(j)
			}()
		}
	})
}

// pullWithSlots hands each message cons delivers to handle with a slot of
// slots taken, which handle gives back. A message that arrives while no
// slot can be had because ctx ended goes back to JetStream (Nak). On stop,
// Drain lets Next hand out what was already pulled; those messages go
// straight back (Nak) instead of waiting out AckWait.
func pullWithSlots(ctx context.Context, cons jetstream.Consumer, batch int, slots chan struct{}, handle func(jetstream.Msg)) error {
	it, err := cons.Messages(jetstream.PullMaxMessages(batch))
	if err != nil {
		return err
	}
	defer it.Stop()
	stopDrain := context.AfterFunc(ctx, it.Drain)
	defer stopDrain()
	for {
		acquired := false
		select {
		case slots <- struct{}{}:
			acquired = true
		case <-ctx.Done():
		}
		m, err := it.Next()
		if err != nil {
			if acquired {
				<-slots
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		if !acquired || ctx.Err() != nil {
			_ = m.Nak()
			if acquired {
				<-slots
			}
			continue
		}
		handle(m)
	}
}

// acquire takes a delivery slot for a further event of the bundle m,
// telling JetStream that m is in progress while it waits, so that m is not
// redelivered while its events are still going out. False: ctx ended.
func (w *worker) acquire(ctx context.Context, m jetstream.Msg) bool {
	select {
	case w.sem <- struct{}{}:
		return true
	default:
	}
	t := time.NewTicker(w.s.ackWait / 3)
	defer t.Stop()
	for {
		select {
		case w.sem <- struct{}{}:
			return true
		case <-t.C:
			_ = m.InProgress()
		case <-ctx.Done():
			return false
		}
	}
}

// mayBeRedelivered tells whether a message may have been attempted before,
// so that its delivery record must be read first. A redelivery says so
// itself, except right after a crash: JetStream persists a consumer's ack
// state shortly after the acks, so a kill -9 can hand out again, as if new,
// messages that were already delivered. For 2×AckWait after a worker
// attaches to a consumer that already existed, every message is therefore
// checked against its record; a consumer just created holds no such message.
func (w *worker) mayBeRedelivered(md *jetstream.MsgMetadata) bool {
	return md == nil || md.NumDelivered > 1 || time.Now().UnixNano() < w.checkTil.Load()
}

// job is one delivery to make: an event and the message that carries it
// (the event itself for live deliveries, a request for retries/replays),
// acknowledged when the delivery is finished.
type job struct {
	msg     jetstream.Msg
	rec     store.Record
	run     string
	trigger string
	lookup  bool // read the delivery record first: the run may have attempts already
	pulled  time.Time
}

// deliver makes one attempt for j, or finds that none is due, and settles
// j's message accordingly. It holds one slot of w.sem.
func (w *worker) deliver(j job) {
	s := w.s
	ctx := s.hardCtx
	ep, ok := s.eps.Endpoint(w.id)
	if !ok {
		_ = j.msg.Ack() // endpoint deleted
		return
	}
	if !ep.Enabled {
		// Kept for when it is enabled again; the delay keeps a worker that
		// has not yet seen the change from spinning on it.
		_ = j.msg.NakWithDelay(time.Second)
		return
	}
	if j.run == runLive && !filter.MatchAny(s.eps.Filters(w.id), filter.AttrsOf(j.rec)) {
		_ = j.msg.Ack()
		s.m.deliveries.WithLabelValues("filtered").Inc()
		return
	}
	now := time.Now()
	d := record{Delivery: proto.Delivery{
		ID: strconv.FormatUint(j.rec.Seq, 10), EndpointID: w.id, WebhookID: webhookID(w.id, j.rec.Seq),
		Family: j.rec.Address.Family, EventType: j.rec.Address.EventType,
		Status: proto.DeliveryPending, Trigger: j.trigger, ReceivedAt: j.rec.ReceivedAt,
	}, Run: j.run}
	if j.lookup {
		prev, found, err := s.recs.get(ctx, w.id, j.rec.Seq)
		if err != nil {
			_ = j.msg.NakWithDelay(time.Second)
			return
		}
		switch {
		case found && prev.Run == j.run:
			if prev.terminal() {
				_ = j.msg.Ack() // finished; only the acknowledgement was lost
				return
			}
			if prev.NextAttemptAt != nil {
				if wait := prev.NextAttemptAt.Sub(now); wait > 10*time.Millisecond {
					_ = j.msg.NakWithDelay(wait) // redelivered early (restart): keep the schedule
					return
				}
			}
			d = prev
		case found:
			d.Attempts = prev.Attempts // a new run of an event delivered before
		}
	}
	if since := now.Sub(j.pulled); since > s.ackWait/3 {
		_ = j.msg.InProgress() // waited for a slot: keep JetStream from redelivering it
	}
	if j.run == runLive && d.Attempts == 0 {
		s.m.firstDelay.Observe(now.Sub(j.rec.ReceivedAt).Seconds())
	}
	tctx, span := traceAttempt(ctx, j.rec.Trace, w.id, d.WebhookID)
	res := w.attempt(tctx, ep.URL, d.WebhookID, s.redact.Apply(j.rec.Data))
	endAttempt(span, res)
	if ctx.Err() != nil {
		_ = j.msg.Nak() // aborted by shutdown: not an attempt; retried with the same webhook-id
		return
	}
	w.settle(ctx, j, d, res)
}

// attempt sends the event unless the breaker is open.
func (w *worker) attempt(ctx context.Context, url, id string, body []byte) result {
	now := time.Now()
	ok, probe := w.br.allow(now)
	if !ok {
		w.s.m.attempts.WithLabelValues("breaker_open").Inc()
		return result{skipped: true}
	}
	ts := now.Unix()
	sig := Signature(w.s.eps.SigningSecrets(w.id, now), id, ts, body)
	res := post(ctx, w.s.client, url, id, sig, ts, body)
	w.br.done(time.Now(), probe, res.healthy())
	w.s.m.attempts.WithLabelValues(res.outcome()).Inc()
	w.s.m.latency.Observe(res.latency.Seconds())
	return res
}

// settle records the attempt and acknowledges (finished) or negatively
// acknowledges with the retry delay (JetStream redelivers it then).
func (w *worker) settle(ctx context.Context, j job, d record, res result) {
	s := w.s
	now := time.Now().UTC()
	d.Attempts++
	d.RunAttempts++
	d.LastAttemptAt = &now
	d.ResponseStatus = res.status
	d.LatencyMS = float64(res.latency.Microseconds()) / 1000
	d.Error = res.describe()
	d.NextAttemptAt = nil
	switch {
	case res.ok():
		d.Status = proto.DeliverySucceeded
		if err := s.recs.put(ctx, d, false); err != nil {
			s.log.Warn("record webhook delivery", "endpoint_id", w.id, "err", err)
		}
		_ = j.msg.Ack()
		s.m.deliveries.WithLabelValues("succeeded").Inc()
		return
	case res.status == 410:
		d.Status = proto.DeliveryFailed
		if err := s.recs.put(ctx, d, true); err != nil {
			_ = j.msg.NakWithDelay(time.Second)
			return
		}
		reason := "the receiver answered 410 Gone at " + now.Format(time.RFC3339)
		if err := s.eps.Disable(ctx, w.id, reason); err != nil {
			s.log.Error("disable endpoint after 410", "endpoint_id", w.id, "err", err)
		} else {
			s.log.Warn("webhook endpoint disabled: receiver answered 410 Gone", "endpoint_id", w.id)
		}
		_ = j.msg.Ack()
		s.m.deliveries.WithLabelValues("failed").Inc()
		return
	}
	delay, more := s.sched.next(d.RunAttempts)
	if !more {
		d.Status = proto.DeliveryFailed
		if err := s.recs.put(ctx, d, true); err != nil {
			// Without the record the failure would go unrecorded: keep the
			// message and try again (one more attempt at worst).
			_ = j.msg.NakWithDelay(time.Second)
			return
		}
		_ = j.msg.Ack()
		s.m.deliveries.WithLabelValues("failed").Inc()
		return
	}
	if res.hasRetry && res.retryAfter > delay {
		delay = res.retryAfter
	}
	next := now.Add(delay)
	d.NextAttemptAt = &next
	if err := s.recs.put(ctx, d, true); err != nil {
		s.log.Warn("record webhook attempt", "endpoint_id", w.id, "err", err)
	}
	_ = j.msg.NakWithDelay(delay)
}
