package endpoint

import (
	"context"
	"errors"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// RotatedSecrets are an endpoint's previous signing secrets that still sign
// deliveries until they expire, so a receiver can switch to the new secret
// without rejecting anything in between.
type RotatedSecrets struct {
	Previous []PreviousSecret `json:"previous"`
}

// PreviousSecret is one rotated-out secret and the end of its grace period.
type PreviousSecret struct {
	Secret    string    `json:"secret"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SigningSecrets returns the secrets a delivery to the endpoint is signed
// with at now: the current one first, then every rotated-out one still in
// its grace period. Nil when the endpoint has no secret.
func (s *Store) SigningSecrets(id string, now time.Time) []string {
	ep, ok := s.EndpointSet.Get(id)
	if !ok || ep.Secret == "" {
		return nil
	}
	out := []string{ep.Secret}
	if rs, ok := s.SecretSet.Get(id); ok {
		for _, p := range rs.Previous {
			if p.ExpiresAt.After(now) && p.Secret != ep.Secret {
				out = append(out, p.Secret)
			}
		}
	}
	return out
}

// RotateSecret replaces ep's secret with secret; the old one keeps signing
// for grace. The old secret is stored before the endpoint changes, so at no
// moment does a delivery go out without it.
func (s *Store) RotateSecret(ctx context.Context, ep proto.Endpoint, secret string, grace time.Duration) (proto.Endpoint, error) {
	now := time.Now().UTC()
	if grace > 0 && ep.Secret != "" && ep.Secret != secret {
		rs, _ := s.SecretSet.Get(ep.ID)
		keep := []PreviousSecret{{Secret: ep.Secret, ExpiresAt: now.Add(grace)}}
		for _, p := range rs.Previous {
			if p.ExpiresAt.After(now) {
				keep = append(keep, p)
			}
		}
		if err := s.SecretSet.Put(ctx, ep.ID, RotatedSecrets{Previous: keep}); err != nil {
			return ep, err
		}
	}
	ep.Secret = secret
	ep.UpdatedAt = now
	return ep, s.EndpointSet.Put(ctx, ep.ID, ep)
}

// Disable turns an endpoint off with a reason (the webhook dispatcher does
// this when a receiver answers 410 Gone). Events keep being recorded in the
// log; the endpoint's delivery position is kept for when it is re-enabled.
func (s *Store) Disable(ctx context.Context, id, reason string) error {
	_, _, err := s.EndpointSet.Update(ctx, id, func(ep proto.Endpoint) (proto.Endpoint, error) {
		if !ep.Enabled {
			return ep, store.ErrUnchanged
		}
		ep.Enabled = false
		ep.DisabledReason = reason
		ep.UpdatedAt = time.Now().UTC()
		return ep, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// DeleteEndpoint removes an endpoint with its filters and rotated secrets.
// Filters go first so that no filter ever points at a missing endpoint.
func (s *Store) DeleteEndpoint(ctx context.Context, id string) error {
	for _, f := range s.FilterSet.List() {
		if f.EndpointID == id {
			if err := s.FilterSet.Delete(ctx, f.ID); err != nil {
				return err
			}
		}
	}
	if err := s.SecretSet.Delete(ctx, id); err != nil {
		return err
	}
	return s.EndpointSet.Delete(ctx, id)
}
