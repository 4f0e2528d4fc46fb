package webhook

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// worker runs one webhook endpoint on this node: it pulls the endpoint's
// durable consumer and makes at most conc attempts at once (the endpoint's
// concurrency, else webhooks.concurrency), at most rate a second (the
// endpoint's rate_limit, else webhooks.rate_limit; 0: no limit). A new
// rate applies in place; a new concurrency replaces the worker
// (Service.reconcile).
type worker struct {
	s     *Service
	id    string
	owner string
	since time.Time // endpoint creation: where its consumer starts
	conc  int
	rate  float64                      // guarded by Service.mu
	lim   atomic.Pointer[rate.Limiter] // nil without a rate limit
	sem   chan struct{}
	br    *breaker

	checkTil atomic.Int64 // unix nanos; see mayBeRedelivered
	// failStart is when this node's current run of failed attempts began
	// (unix nanos; 0 after a success): see health.
	failStart atomic.Int64
	cons      atomic.Pointer[jetstream.Consumer]
	cancel    context.CancelFunc
	inflight  sync.WaitGroup
}

func newWorker(s *Service, ep proto.Endpoint) *worker {
	conc, r := s.limits(ep)
	w := &worker{
		s: s, id: ep.ID, owner: ep.Owner, since: ep.CreatedAt, conc: conc,
		sem: make(chan struct{}, conc),
		br:  newBreaker(s.cfg.BreakerFailures, s.cfg.BreakerCooldown),
	}
	w.setRate(r)
	return w
}

// setRate sets the worker's rate limit (0: none). A burst of a tenth of a
// second's worth (at least one) keeps the rate within a few percent over
// any second without making every delivery wait for the previous one's
// slot. Called with Service.mu held, or before the worker starts.
func (w *worker) setRate(r float64) {
	w.rate = r
	if r <= 0 {
		w.lim.Store(nil)
		return
	}
	w.lim.Store(rate.NewLimiter(rate.Limit(r), max(1, int(r/10))))
}

// limits are an endpoint's concurrency and rate limit: its own, else the
// node's.
func (s *Service) limits(ep proto.Endpoint) (conc int, r float64) {
	conc, r = ep.Concurrency, ep.RateLimit
	if conc <= 0 {
		conc = max(s.cfg.Concurrency, 1)
	}
	if r <= 0 {
		r = s.cfg.RateLimit
	}
	return conc, r
}

// waitRate waits for the rate limiter's permission to attempt j, telling
// JetStream that j's message is in progress meanwhile. False: stopping.
func (w *worker) waitRate(ctx context.Context, j job) bool {
	lim := w.lim.Load()
	if lim == nil {
		return true
	}
	res := lim.Reserve()
	delay := res.Delay()
	if delay == 0 {
		return true
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	tick := time.NewTicker(w.s.ackWait / 3)
	defer tick.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-tick.C:
			_ = j.msg.InProgress()
		case <-ctx.Done():
			res.Cancel()
			return false
		}
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
	return pullWithSlots(ctx, cons, 2*w.conc, w.sem, func(m jetstream.Msg) {
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
	if j.run == runLive && !s.eps.Matcher(w.id).Match(j.rec) || selfReport(w.id, j.rec) {
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
	if !w.waitRate(ctx, j) {
		_ = j.msg.Nak() // stopping: not an attempt
		return
	}
	now = time.Now()
	if since := now.Sub(j.pulled); since > s.ackWait/3 {
		_ = j.msg.InProgress() // waited for a slot: keep JetStream from redelivering it
	}
	if j.run == runLive && d.Attempts == 0 {
		s.m.firstDelay.Observe(now.Sub(j.rec.ReceivedAt).Seconds())
	}
	tctx, span := traceAttempt(ctx, j.rec.Trace, w.id, d.WebhookID)
	res := w.attempt(tctx, ep, d.WebhookID, j.rec, s.redact.Apply(j.rec.Data))
	endAttempt(span, res)
	if ctx.Err() != nil {
		_ = j.msg.Nak() // aborted by shutdown: not an attempt; retried with the same webhook-id
		return
	}
	w.settle(ctx, ep, j, d, res)
}

// selfReport tells an operational event about endpoint id itself: never
// delivered to it (docs/webhooks.md#operational-events).
func selfReport(id string, rec store.Record) bool {
	return rec.Address.Family == string(proto.FamilyOperational) && rec.Address.DeviceID == id
}

// attempt sends the event unless the breaker is open.
func (w *worker) attempt(ctx context.Context, ep proto.Endpoint, id string, rec store.Record, body []byte) result {
	now := time.Now()
	ok, probe := w.br.allow(now)
	if !ok {
		w.s.m.attempts.WithLabelValues("breaker_open").Inc()
		return result{skipped: true}
	}
	ts := now.Unix()
	sig := Signature(w.s.eps.SigningSecrets(w.id, now), id, ts, body)
	res := post(ctx, w.s.client, request{
		url: ep.URL, webhookID: id, signature: sig, ts: ts, body: body,
		family: rec.Address.Family, eventType: rec.Address.EventType, headers: ep.Headers,
	})
	w.br.done(time.Now(), probe, res.healthy())
	w.s.m.attempts.WithLabelValues(res.outcome()).Inc()
	w.s.m.latency.Observe(res.latency.Seconds())
	return res
}

// settle records the attempt and acknowledges (finished) or negatively
// acknowledges with the retry delay (JetStream redelivers it then).
func (w *worker) settle(ctx context.Context, ep proto.Endpoint, j job, d record, res result) {
	w.health(ctx, ep, res.ok())
	s := w.s
	now := time.Now().UTC()
	d.Attempts++
	d.RunAttempts++
	d.LastAttemptAt = &now
	d.ResponseStatus = res.status
	d.LatencyMS = float64(res.latency.Microseconds()) / 1000
	d.Error = res.describe()
	d.NextAttemptAt = nil
	d.Exhausted = false
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
		d.Status, d.Exhausted = proto.DeliveryFailed, true
		if err := s.recs.put(ctx, d, true); err != nil {
			// Without the record the failure would go unrecorded: keep the
			// message and try again (one more attempt at worst).
			_ = j.msg.NakWithDelay(time.Second)
			return
		}
		if j.rec.Address.Family != string(proto.FamilyOperational) {
			s.exhausted(w.owner, d, now)
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

// markAfter is how long this node's attempts of an endpoint must all have
// failed before the endpoint is marked failing in storage: an endpoint
// whose receiver fails now and then (every 7th request, say) must not
// rewrite its resource, and tell every node, twice per failure. A tenth of
// webhooks.disable_after when that is shorter (tests).
func (s *Service) markAfter() time.Duration {
	d := 30 * time.Second
	if a := s.cfg.DisableAfter / 10; a > 0 && a < d {
		d = a
	}
	return d
}

// health keeps the endpoint's FailingSince (endpoint.Store.MarkFailing):
// set once this node's attempts have all failed for markAfter (to the
// start of those failures), cleared (and the recovery reported) at the
// first success after it was set, and disables the endpoint once it has
// failed for webhooks.disable_after. Storage is written on these
// transitions only; the endpoint read from memory tells which is one.
func (w *worker) health(ctx context.Context, ep proto.Endpoint, ok bool) {
	s := w.s
	now := time.Now()
	if ok {
		w.failStart.Store(0)
		if ep.FailingSince == nil {
			return
		}
		was, err := s.eps.MarkHealthy(ctx, w.id)
		if err != nil {
			s.log.Warn("record endpoint recovery", "endpoint_id", w.id, "err", err)
			return
		}
		if was != nil {
			s.log.Info("webhook endpoint recovered", "endpoint_id", w.id, "failing_since", *was)
			s.recovered(ep, *was, now)
		}
		return
	}
	w.failStart.CompareAndSwap(0, now.UnixNano())
	if ep.FailingSince == nil {
		start := time.Unix(0, w.failStart.Load())
		if now.Sub(start) < s.markAfter() {
			return
		}
		var err error
		if ep, err = s.eps.MarkFailing(ctx, w.id, start); err != nil {
			s.log.Warn("record endpoint failure", "endpoint_id", w.id, "err", err)
			return
		}
	}
	after := s.cfg.DisableAfter
	if after <= 0 || ep.FailingSince == nil || now.Sub(*ep.FailingSince) < after || !ep.Enabled {
		return
	}
	reason := "every delivery failed since " + ep.FailingSince.UTC().Format(time.RFC3339) +
		" (webhooks.disable_after " + after.String() + ")"
	if err := s.eps.Disable(ctx, w.id, reason); err != nil {
		s.log.Error("disable failing endpoint", "endpoint_id", w.id, "err", err)
		return
	}
	s.log.Warn("webhook endpoint disabled: failing too long", "endpoint_id", w.id, "failing_since", *ep.FailingSince)
}
