package webhook

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Operational events (docs/webhooks.md#operational-events) are appended to
// the tenant's log by the dispatcher. Each one's id is derived from the
// transition it reports (the endpoint, the change's time, the failures'
// start, the delivery and its run), so when two nodes detect the same
// transition, or an append is retried, the log's de-duplication stores it
// once.
//
// They cannot feed on themselves: an endpoint receives operational events
// only through a filter naming their type, never those about itself (the
// event's device is the endpoint it is about, see filter.Set), and a
// delivery of an operational event that exhausts its retries reports
// nothing — two failing endpoints subscribed to each other's
// delivery.exhausted would otherwise trade events forever.

// opAppendTries bounds the attempts to store one operational event (with
// a backoff up to a few seconds); past them it is logged and counted.
const opAppendTries = 6

// emit appends ev to owner's log in the background; Stop waits for it.
func (s *Service) emit(owner string, ev proto.OperationalEvent) {
	s.run.Go(func(context.Context) { s.appendOp(owner, ev) })
}

func (s *Service) appendOp(owner string, ev proto.OperationalEvent) {
	data, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("operational event", "type", ev.Type, "err", err)
		return
	}
	e := store.Entry{
		Address: store.Address{Family: string(proto.FamilyOperational), Owner: owner, DeviceID: ev.EndpointID, EventType: ev.Type},
		ID:      ev.ID, Data: data,
	}
	backoff := 100 * time.Millisecond
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(s.hardCtx, 10*time.Second)
		_, err = s.events.Append(ctx, []store.Entry{e})
		cancel()
		if err == nil {
			s.m.operational.WithLabelValues(ev.Type).Inc()
			return
		}
		if try == opAppendTries || s.hardCtx.Err() != nil {
			s.log.Error("operational event not stored", "type", ev.Type, "endpoint_id", ev.EndpointID, "id", ev.ID, "err", err)
			s.m.operational.WithLabelValues("lost").Inc()
			return
		}
		select {
		case <-s.hardCtx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 3*time.Second)
	}
}

func nanos(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

// enabledChanged reports an endpoint that was enabled or disabled, by an
// operator or by the dispatcher. Every node sees the change and reports it
// under the same id (the endpoint's update time).
func (s *Service) enabledChanged(ep proto.Endpoint) {
	typ := proto.OpEndpointEnabled
	if !ep.Enabled {
		typ = proto.OpEndpointDisabled
	}
	at := ep.UpdatedAt.UTC()
	ev := proto.OperationalEvent{ID: typ + ":" + ep.ID + ":" + nanos(at), Type: typ, EndpointID: ep.ID, OccurredAt: at}
	if !ep.Enabled {
		ev.Reason = ep.DisabledReason
		if ev.Reason == "" {
			ev.Reason = "disabled through the API"
		}
		ev.FailingSince = ep.FailingSince
	}
	s.emit(ep.Owner, ev)
}

// recovered reports the first success after failures that began at since.
func (s *Service) recovered(ep proto.Endpoint, since time.Time, now time.Time) {
	s.emit(ep.Owner, proto.OperationalEvent{
		ID: proto.OpEndpointRecovered + ":" + ep.ID + ":" + nanos(since), Type: proto.OpEndpointRecovered,
		EndpointID: ep.ID, OccurredAt: now.UTC(), FailingSince: &since,
	})
}

// exhausted reports a delivery whose retries are used up.
func (s *Service) exhausted(owner string, d record, now time.Time) {
	s.emit(owner, proto.OperationalEvent{
		ID: proto.OpDeliveryExhausted + ":" + d.EndpointID + ":" + d.ID + ":" + d.Run, Type: proto.OpDeliveryExhausted,
		EndpointID: d.EndpointID, OccurredAt: now.UTC(), Reason: d.Error,
		DeliveryID: d.ID, Attempts: d.Attempts, EventFamily: proto.Family(d.Family), EventType: d.EventType,
	})
}
