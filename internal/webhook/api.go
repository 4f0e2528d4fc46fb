package webhook

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/listing"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

var handle = httpapi.Handle

// replayChunk is how many replay requests are published before waiting for
// their acknowledgements: bounded memory for any range.
const replayChunk = 1000

// webhookEndpoint returns the webhook endpoint {id} if the caller may see it.
func (s *Service) webhookEndpoint(r *http.Request) (proto.Endpoint, error) {
	p, _ := auth.From(r.Context())
	id := r.PathValue("id")
	ep, ok := s.eps.Endpoint(id)
	if !ok || !p.CanSee(ep.Owner) {
		return ep, httpapi.NotFound("endpoint", id)
	}
	if ep.Type != proto.EndpointWebhook {
		return ep, httpapi.Errorf(http.StatusNotFound, proto.CodeNotFound, "Endpoint %q is a %s endpoint; deliveries exist only for webhook endpoints.", id, ep.Type)
	}
	return ep, nil
}

// deliveryList is the parameters of an endpoint's deliveries, listed in
// the order they were recorded; page tokens are record positions.
var deliveryList = listing.Spec{Params: []string{"status", "since"}}

func (s *Service) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	ep, err := s.webhookEndpoint(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	lq, err := deliveryList.Parse(q)
	if err != nil {
		return err
	}
	status := q.Get("status")
	if status != "" && !slices.Contains([]string{proto.DeliveryPending, proto.DeliverySucceeded, proto.DeliveryFailed}, status) {
		return httpapi.Invalid("status", "must be pending, succeeded or failed")
	}
	// since: only records that changed at or after this time (either time
	// form of docs/contract.md#times): how an operator sees the recent deliveries of
	// an endpoint with a long history without paging through it.
	var since time.Time
	if v := q.Get("since"); v != "" {
		if since, err = proto.ParseTime(v); err != nil {
			return httpapi.Invalid("since", "is not a valid time (want RFC 3339, e.g. 2026-03-26T09:00:00Z)")
		}
	}
	after, err := listing.Position(lq)
	if err != nil {
		return err
	}
	recs, next, err := s.recs.list(r.Context(), ep.ID, after, since, status, lq.Limit)
	if err != nil {
		return err
	}
	out := proto.List[proto.Delivery]{Items: make([]proto.Delivery, len(recs)), NextPageToken: listing.PositionToken(next)}
	for i, rec := range recs {
		out.Items[i] = rec.Delivery
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) delivery(r *http.Request, ep proto.Endpoint) (record, error) {
	id := r.PathValue("delivery_id")
	seq, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return record{}, httpapi.NotFound("delivery", id)
	}
	rec, found, err := s.recs.get(r.Context(), ep.ID, seq)
	if err != nil {
		return record{}, err
	}
	if !found {
		return record{}, httpapi.NotFound("delivery", id)
	}
	return rec, nil
}

func (s *Service) getDelivery(w http.ResponseWriter, r *http.Request) error {
	ep, err := s.webhookEndpoint(r)
	if err != nil {
		return err
	}
	rec, err := s.delivery(r, ep)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, rec.Delivery)
	return nil
}

// retryDelivery starts a new run of attempts for a finished delivery. A
// pending one is already being retried: 409, so two runs never race.
func (s *Service) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	ep, err := s.webhookEndpoint(r)
	if err != nil {
		return err
	}
	if !ep.Enabled {
		return httpapi.Errorf(http.StatusConflict, proto.CodeConflict, "Endpoint %q is disabled; enable it first.", ep.ID)
	}
	rec, err := s.delivery(r, ep)
	if err != nil {
		return err
	}
	if !rec.terminal() {
		return httpapi.Errorf(http.StatusConflict, proto.CodeConflict, "Delivery %s is still pending; it is retried on its schedule.", rec.ID)
	}
	now := time.Now().UTC()
	rec.Run, rec.RunAttempts = newRunID(proto.TriggerRetry), 0
	rec.Status, rec.Trigger, rec.NextAttemptAt = proto.DeliveryPending, proto.TriggerRetry, &now
	if err := s.recs.put(r.Context(), rec, true); err != nil {
		return err
	}
	f, err := s.reqs.enqueue(ep.ID, mustSeq(rec.ID), rec.Run, proto.TriggerRetry)
	if err != nil {
		return err
	}
	if err := waitAcks(r.Context(), []jetstream.PubAckFuture{f}); err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusAccepted, rec.Delivery)
	return nil
}

// replay queues every recorded event of the endpoint's tenant received in
// [since, until) that passes the endpoint's current filters.
func (s *Service) replay(w http.ResponseWriter, r *http.Request) error {
	ep, err := s.webhookEndpoint(r)
	if err != nil {
		return err
	}
	var req proto.ReplayRequest
	if err := httpapi.DecodeJSON(w, r, 1<<16, &req); err != nil {
		return err
	}
	since, until, err := timeRange(req.Since, req.Until)
	if err != nil {
		return err
	}
	if !ep.Enabled {
		return httpapi.Errorf(http.StatusConflict, proto.CodeConflict, "Endpoint %q is disabled; enable it first.", ep.ID)
	}
	run := newRunID(proto.TriggerReplay)
	filters := s.eps.Matcher(ep.ID)
	var futures []jetstream.PubAckFuture
	queued := 0
	var pubErr error
	err = s.events.Read(r.Context(), store.ReadOptions{
		Filters:   []string{store.Filter{Owner: ep.Owner}.Subject()},
		StartTime: since,
	}, func(rec store.Record) bool {
		if !rec.ReceivedAt.Before(until) {
			return false
		}
		if !filters.Match(rec) {
			return true
		}
		f, err := s.reqs.enqueue(ep.ID, rec.Seq, run, proto.TriggerReplay)
		if err != nil {
			pubErr = err
			return false
		}
		futures = append(futures, f)
		queued++
		if len(futures) == replayChunk {
			if pubErr = waitAcks(r.Context(), futures); pubErr != nil {
				return false
			}
			futures = futures[:0]
		}
		return true
	})
	if err == nil {
		err = pubErr
	}
	if err == nil {
		err = waitAcks(r.Context(), futures)
	}
	if err != nil {
		return err
	}
	httpapi.LoggerFrom(r.Context()).Info("webhook replay queued", "endpoint_id", ep.ID, "run_id", run, "events", queued)
	httpapi.WriteJSON(w, http.StatusAccepted, proto.ReplayResult{Queued: queued, RunID: run})
	return nil
}

// waitAcks waits until JetStream stored every request.
func waitAcks(ctx context.Context, fs []jetstream.PubAckFuture) error {
	for _, f := range fs {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// timeRange reads the since (required) and until (default now) of a
// replay or a bulk retry: RFC 3339 times, since before until.
func timeRange(sinceText, untilText string) (since, until time.Time, err error) {
	if sinceText == "" {
		return since, until, httpapi.Invalid("since", "is required (RFC 3339 time)")
	}
	if since, err = proto.ParseTime(sinceText); err != nil {
		return since, until, httpapi.Invalid("since", "is not a valid time (want RFC 3339, e.g. 2026-03-26T09:00:00Z)")
	}
	until = time.Now()
	if untilText != "" {
		if until, err = proto.ParseTime(untilText); err != nil {
			return since, until, httpapi.Invalid("until", "is not a valid time (want RFC 3339, e.g. 2026-03-26T09:00:00Z)")
		}
	}
	if !since.Before(until) {
		return since, until, httpapi.Invalid("until", "must be after since")
	}
	return since, until, nil
}
