package webhook

import (
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// bulkPage is how many delivery records a bulk retry reads at a time.
const bulkPage = 500

// bulkRetry serves POST /api/v1/endpoints/{id}/retry: every failed (or
// only exhausted) delivery whose last attempt lies in [since, until)
// starts a new run of attempts, all under one run id, the way a retry of
// one delivery does. Records are read page by page and requests published
// in chunks, so memory stays bounded for any range.
func (s *Service) bulkRetry(w http.ResponseWriter, r *http.Request) error {
	ep, err := s.webhookEndpoint(r)
	if err != nil {
		return err
	}
	var req proto.RetryRequest
	if err := httpapi.DecodeJSON(w, r, 1<<16, &req); err != nil {
		return err
	}
	switch req.Status {
	case "":
		req.Status = proto.RetryFailed
	case proto.RetryFailed, proto.RetryExhausted:
	default:
		return httpapi.Invalid("status", "must be failed or exhausted")
	}
	since, until, err := timeRange(req.Since, req.Until)
	if err != nil {
		return err
	}
	if !ep.Enabled {
		return httpapi.Errorf(http.StatusConflict, proto.CodeConflict, "Endpoint %q is disabled; enable it first.", ep.ID)
	}
	run := newRunID(proto.TriggerRetry)
	now := time.Now().UTC()
	queued := 0
	var after uint64
	for {
		// A record changed since the retry began (by this retry itself)
		// lies past the pages still to read: its new state is pending, so
		// it is not picked up twice.
		recs, next, err := s.recs.list(r.Context(), ep.ID, after, since, proto.DeliveryFailed, bulkPage)
		if err != nil {
			return err
		}
		var futures []jetstream.PubAckFuture
		for _, rec := range recs {
			if rec.LastAttemptAt != nil && !rec.LastAttemptAt.Before(until) ||
				req.Status == proto.RetryExhausted && !rec.Exhausted || rec.Run == run {
				continue
			}
			rec.Run, rec.RunAttempts = run, 0
			rec.Status, rec.Trigger, rec.NextAttemptAt, rec.Exhausted = proto.DeliveryPending, proto.TriggerRetry, &now, false
			if err := s.recs.put(r.Context(), rec, true); err != nil {
				return err
			}
			f, err := s.reqs.enqueue(ep.ID, mustSeq(rec.ID), run, proto.TriggerRetry)
			if err != nil {
				return err
			}
			futures = append(futures, f)
			queued++
		}
		if err := waitAcks(r.Context(), futures); err != nil {
			return err
		}
		if next == 0 {
			break
		}
		after = next
	}
	httpapi.LoggerFrom(r.Context()).Info("webhook bulk retry queued", "endpoint_id", ep.ID, "run_id", run, "deliveries", queued)
	httpapi.WriteJSON(w, http.StatusAccepted, proto.ReplayResult{Queued: queued, RunID: run})
	return nil
}
