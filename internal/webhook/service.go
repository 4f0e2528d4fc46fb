// Package webhook delivers events to webhook endpoints (docs/contract.md#webhooks): signed
// per Standard Webhooks, at least once, across restarts and nodes.
//
// Design: every enabled webhook endpoint has one durable JetStream pull
// consumer on the event log, filtered to its owner's subjects and starting
// at the endpoint's creation time. Durable consumers live in JetStream, so
// every node pulls from the same one and each event goes to one node; a
// message is acknowledged only once its delivery succeeded or is recorded
// as finally failed. A failed attempt is recorded (attempt count, next
// attempt) in the delivery record stream and the message is negatively
// acknowledged with the retry delay, so JetStream itself holds the retry
// queue: a pending retry costs no memory in the gateway, and a crash,
// restart or another node picks it up with the same webhook-id.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/filter"
	"github.com/evtctl/evtctl/internal/redact"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

const (
	consumerPrefix = "wh-"
	// maxAckPending bounds the deliveries of one endpoint that are in flight
	// or waiting for a retry. Past it, new events wait in the log (they are
	// not lost) until some of those finish.
	maxAckPending = 20000
	// orphanAge: a consumer whose endpoint this node does not know is only
	// deleted when older than this, so a node whose view of the endpoints
	// lags does not delete a consumer another node just created.
	orphanAge = time.Minute
)

// Endpoints is what the dispatcher needs of the endpoint resources
// (endpoint.Service): lookups answered from memory, a change listener, the
// signing secrets, and disabling an endpoint whose receiver is gone.
type Endpoints interface {
	Endpoint(id string) (proto.Endpoint, bool)
	Endpoints() []proto.Endpoint
	// Matcher returns the endpoint's filters, conditions compiled.
	Matcher(endpointID string) *filter.Set
	// OnChange registers fn, called with an endpoint's id whenever it is
	// created, changed or deleted on any node ("" for a filter removed).
	OnChange(fn func(endpointID string))
	SigningSecrets(id string, now time.Time) []string
	Disable(ctx context.Context, id, reason string) error
	// MarkFailing and MarkHealthy keep the endpoint's FailingSince
	// (worker.health).
	MarkFailing(ctx context.Context, id string, at time.Time) (proto.Endpoint, error)
	MarkHealthy(ctx context.Context, id string) (*time.Time, error)
}

// Service is the webhook dispatcher component.
type Service struct {
	eps Endpoints

	cfg     config.Webhooks
	log     *slog.Logger
	events  *store.Log
	js      jetstream.JetStream
	recs    *records
	reqs    *requests
	client  *http.Client
	sched   schedule
	redact  *redact.Redactor
	m       *metricSet
	ackWait time.Duration

	mu      sync.Mutex
	workers map[string]*worker
	enabled map[string]bool // last seen enabled flag of every endpoint (enabledChanged)
	dirty   map[string]bool
	all     bool
	kick    chan struct{}

	// run's context is cancelled by Stop (no new work); its goroutines are
	// the reconcile and request loops, the request handlers and every
	// worker ever started, until its last attempt ends.
	run        component.Group
	hardCtx    context.Context // cancelled when Stop's deadline passes: abort attempts
	hardCancel context.CancelFunc
}

// New builds the dispatcher for the endpoints of eps and starts it: cfg
// is the webhooks section, redact the fields blanked in payloads, events
// the log it delivers from.
func New(ctx context.Context, env component.Env, cfg config.Webhooks, redactCfg config.Redact, events *store.Log, eps Endpoints) (*Service, error) {
	s := &Service{eps: eps, cfg: cfg, log: env.Logger.With("component", "webhooks"), events: events, js: env.JS}
	g, err := newGuard(s.cfg.AllowCIDRs)
	if err != nil {
		return nil, err
	}
	conc := max(s.cfg.Concurrency, 1)
	s.client = newClient(g, s.cfg.Timeout, conc)
	s.sched = newSchedule(s.cfg.RetrySchedule, s.cfg.Jitter)
	s.redact = redact.New(redactCfg.Fields)
	// A handed-out message must be finished or marked in progress within
	// ackWait; an attempt takes at most Timeout, and the record write after
	// it is bounded too. Redelivery after a crash waits this long.
	s.ackWait = max(2*s.cfg.Timeout+5*time.Second, 10*time.Second)
	if s.recs, err = openRecords(ctx, s.js, env.Storage.Replicas, env.Storage.MaxAge); err != nil {
		return nil, err
	}
	if s.reqs, err = openRequests(ctx, s.js, env.Storage.Replicas, s.ackWait); err != nil {
		return nil, err
	}
	s.m = newMetrics()
	env.Metrics.Registry.MustRegister(s.m.collectors()...)
	env.Metrics.Registry.MustRegister(newQueueCollector(s))

	s.workers, s.dirty, s.all = map[string]*worker{}, map[string]bool{}, true
	s.enabled = map[string]bool{}
	s.kick = make(chan struct{}, 1)
	s.hardCtx, s.hardCancel = context.WithCancel(context.Background())
	s.eps.OnChange(s.changed)
	s.run.Go(s.reconcileLoop)
	s.run.Go(s.requestLoop)
	s.signal()
	return s, nil
}

// Name implements component.Component.
func (s *Service) Name() string { return "webhooks" }

// Stop implements component.Component: no new attempts; attempts in
// flight get until ctx's deadline, then are aborted (and retried later,
// same webhook-id). Unfinished messages go back to JetStream for other
// nodes or the next start.
func (s *Service) Stop(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.run.Stop() // also workers stopped earlier by a disable or delete
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.hardCancel()
		<-done
	}
	s.hardCancel()
	s.client.CloseIdleConnections()
}

// Routes implements component.Component.
func (s *Service) Routes() []component.Route {
	admin := []string{proto.ScopeAdmin}
	return []component.Route{
		{Method: "GET", Pattern: "/api/v1/endpoints/{id}/deliveries", Scopes: admin, Summary: "List a webhook endpoint's deliveries (?status=, ?since=, ?limit=, ?page_token=).", Handler: handle(s.listDeliveries)},
		{Method: "GET", Pattern: "/api/v1/endpoints/{id}/deliveries/{delivery_id}", Scopes: admin, Summary: "Get one delivery.", Handler: handle(s.getDelivery)},
		{Method: "POST", Pattern: "/api/v1/endpoints/{id}/deliveries/{delivery_id}/retry", Scopes: admin, Summary: "Deliver a finished delivery again, with a new retry schedule.", Handler: handle(s.retryDelivery)},
		{Method: "POST", Pattern: "/api/v1/endpoints/{id}/retry", Scopes: admin, Summary: "Deliver again every failed (or exhausted) delivery whose last attempt is in a time range.", Handler: handle(s.bulkRetry)},
		{Method: "POST", Pattern: "/api/v1/endpoints/{id}/replay", Scopes: admin, Summary: "Re-send the recorded events of a time range that pass the endpoint's filters.", Handler: handle(s.replay)},
	}
}

// changed is the endpoint store's listener; it must not block. An empty id
// (a filter went away) needs nothing: filters are read at every event.
func (s *Service) changed(id string) {
	if id == "" {
		return
	}
	s.mu.Lock()
	s.dirty[id] = true
	s.mu.Unlock()
	s.signal()
}

func (s *Service) signal() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// reconcileLoop makes the running workers match the endpoints: one per
// enabled webhook endpoint.
func (s *Service) reconcileLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		s.mu.Lock()
		ids, all := s.dirty, s.all
		s.dirty, s.all = map[string]bool{}, false
		s.mu.Unlock()
		if all {
			for _, ep := range s.eps.Endpoints() {
				ids[ep.ID] = true
			}
			s.deleteOrphans()
		}
		for id := range ids {
			s.reconcile(id)
		}
	}
}

func (s *Service) reconcile(id string) {
	ep, ok := s.eps.Endpoint(id)
	want := ok && ep.Type == proto.EndpointWebhook && ep.Enabled
	s.mu.Lock()
	w := s.workers[id]
	if want && w != nil {
		conc, r := s.limits(ep)
		switch {
		case conc != w.conc:
			delete(s.workers, id) // a new concurrency: a new worker on the same consumer
			w.stop()
			w = nil
		case r != w.rate:
			w.setRate(r)
		}
	}
	switch {
	case want && w == nil:
		w = newWorker(s, ep)
		s.workers[id] = w
		w.start(s.run.Context())
	case !want && w != nil:
		delete(s.workers, id)
		w.stop() // in-flight attempts finish in the background
	}
	was, known := s.enabled[id]
	if ok {
		s.enabled[id] = ep.Enabled
	} else {
		delete(s.enabled, id)
	}
	s.mu.Unlock()
	if ok && known && was != ep.Enabled {
		s.enabledChanged(ep)
	}
	if !ok {
		s.forget(id)
	}
}

// forget removes what a deleted endpoint left in JetStream. Every node does
// it; all but the first find nothing to delete.
func (s *Service) forget(id string) {
	ctx, cancel := context.WithTimeout(s.run.Context(), 10*time.Second)
	defer cancel()
	if err := s.events.Stream().DeleteConsumer(ctx, consumerName(id)); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		s.log.Warn("delete webhook consumer", "endpoint_id", id, "err", err)
	}
	if err := s.recs.purge(ctx, id); err != nil {
		s.log.Warn("purge delivery records", "endpoint_id", id, "err", err)
	}
	if err := s.reqs.purge(ctx, id); err != nil {
		s.log.Warn("purge delivery requests", "endpoint_id", id, "err", err)
	}
}

// deleteOrphans removes consumers of endpoints deleted while no node was
// running to see it.
func (s *Service) deleteOrphans() {
	ctx, cancel := context.WithTimeout(s.run.Context(), 10*time.Second)
	defer cancel()
	lister := s.events.Stream().ListConsumers(ctx)
	for info := range lister.Info() {
		name, ok := strings.CutPrefix(info.Name, consumerPrefix)
		if !ok || time.Since(info.Created) < orphanAge {
			continue
		}
		id := store.Untoken(name)
		if _, ok := s.eps.Endpoint(id); !ok {
			s.forget(id)
		}
	}
	if err := lister.Err(); err != nil && ctx.Err() == nil {
		s.log.Warn("list webhook consumers", "err", err)
	}
}

func (s *Service) runningWorkers() []*worker {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*worker, 0, len(s.workers))
	for _, w := range s.workers {
		out = append(out, w)
	}
	return out
}

func (s *Service) worker(id string) *worker {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.workers[id]
}

func consumerName(endpointID string) string { return consumerPrefix + store.Token(endpointID) }

// webhookID is the webhook-id of an event's delivery to an endpoint: stable
// across attempts, nodes, restarts, retries and replays.
func webhookID(endpointID string, seq uint64) string {
	return fmt.Sprintf("msg_%s_%d", endpointID, seq)
}
