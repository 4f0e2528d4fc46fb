package endpoint

import (
	"context"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// An endpoint's health is one field, FailingSince, written on transitions
// only (the first failure after a success, the first success after
// failures), with compare-and-set so that nodes delivering for the same
// endpoint agree on one start of the failures. The dispatcher disables an
// endpoint once it has failed for webhooks.disable_after.

// MarkFailing records a failed delivery at at: FailingSince is set unless
// it already is. It returns the endpoint as stored.
func (s *Store) MarkFailing(ctx context.Context, id string, at time.Time) (proto.Endpoint, error) {
	ep, changed, err := s.EndpointSet.Update(ctx, id, func(ep proto.Endpoint) (proto.Endpoint, error) {
		if ep.FailingSince != nil {
			return ep, store.ErrUnchanged
		}
		t := at.UTC()
		ep.FailingSince = &t
		return ep, nil
	})
	if err == nil && !changed {
		ep, _ = s.EndpointSet.Get(id)
	}
	return ep, err
}

// MarkHealthy records a successful delivery: FailingSince is cleared. It
// returns the cleared value to the one caller that cleared it (which
// reports the recovery), nil to the others.
func (s *Store) MarkHealthy(ctx context.Context, id string) (*time.Time, error) {
	var was *time.Time
	_, changed, err := s.EndpointSet.Update(ctx, id, func(ep proto.Endpoint) (proto.Endpoint, error) {
		if ep.FailingSince == nil {
			return ep, store.ErrUnchanged
		}
		was, ep.FailingSince = ep.FailingSince, nil
		return ep, nil
	})
	if err != nil || !changed {
		return nil, err
	}
	return was, nil
}

// MarkFailing implements the dispatcher's view of the Store.
func (s *Service) MarkFailing(ctx context.Context, id string, at time.Time) (proto.Endpoint, error) {
	return s.st.MarkFailing(ctx, id, at)
}

// MarkHealthy implements the dispatcher's view of the Store.
func (s *Service) MarkHealthy(ctx context.Context, id string) (*time.Time, error) {
	return s.st.MarkHealthy(ctx, id)
}
