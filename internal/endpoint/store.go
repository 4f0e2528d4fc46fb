// Package endpoint keeps the endpoints and event filters
// (docs/sources.md#identification-endpoints, docs/contract.md#management): two KV collections watched into memory on every node,
// with an index of filters by endpoint for the hot path.
package endpoint

import (
	"context"
	"slices"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/filter"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Buckets of the two collections.
const (
	EndpointBucket = "evtctl_endpoints"
	FilterBucket   = "evtctl_filters"
	// SecretBucket keeps the rotated-out signing secrets of webhook
	// endpoints during their grace period (see RotateSecret).
	SecretBucket = "evtctl_endpoint_secrets"
)

// Store holds endpoints and filters.
type Store struct {
	EndpointSet *store.Collection[proto.Endpoint]
	FilterSet   *store.Collection[proto.EventFilter]
	SecretSet   *store.Collection[RotatedSecrets]

	mu       sync.RWMutex
	byEP     map[string][]proto.EventFilter // endpoint id → its filters
	sets     map[string]*filter.Set         // endpoint id → its filters, compiled
	compiled map[revision]*filter.Condition // conditions by filter revision
	onChange []func(endpointID string)
}

// Open opens both collections and builds the filter index.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	eps, err := store.OpenCollection[proto.Endpoint](ctx, js, EndpointBucket, replicas)
	if err != nil {
		return nil, err
	}
	fs, err := store.OpenCollection[proto.EventFilter](ctx, js, FilterBucket, replicas)
	if err != nil {
		eps.Close()
		return nil, err
	}
	sec, err := store.OpenCollection[RotatedSecrets](ctx, js, SecretBucket, replicas)
	if err != nil {
		eps.Close()
		fs.Close()
		return nil, err
	}
	s := &Store{EndpointSet: eps, FilterSet: fs, SecretSet: sec}
	s.reindex()
	eps.Subscribe(func(ch store.Change[proto.Endpoint]) { s.changed(ch.ID) })
	fs.Subscribe(func(ch store.Change[proto.EventFilter]) {
		s.reindex()
		ep := ch.Value.EndpointID
		if ch.Deleted {
			ep = "" // the old value is gone; tell every listener of every endpoint
		}
		s.changed(ep)
	})
	return s, nil
}

// Close stops watching.
func (s *Store) Close() {
	s.EndpointSet.Close()
	s.FilterSet.Close()
	if s.SecretSet != nil {
		s.SecretSet.Close()
	}
}

// revision names one version of a filter: a condition is compiled once per
// revision, not at every change of any filter.
type revision struct {
	id    string
	where string
}

// reindex rebuilds the per-endpoint index and the compiled Sets after a
// change. Conditions were checked when written; one that no longer
// compiles (written by a newer version, say) is logged by its absence:
// its filter matches nothing rather than everything.
func (s *Store) reindex() {
	idx := map[string][]proto.EventFilter{}
	for _, f := range s.FilterSet.List() {
		idx[f.EndpointID] = append(idx[f.EndpointID], f)
	}
	s.mu.RLock()
	old := s.compiled
	s.mu.RUnlock()
	compiled := map[revision]*filter.Condition{}
	sets := make(map[string]*filter.Set, len(idx))
	for ep, fs := range idx {
		conds := make([]*filter.Condition, len(fs))
		for i, f := range fs {
			if f.Where == "" {
				continue
			}
			rev := revision{f.ID, f.Where}
			c, ok := old[rev]
			if !ok {
				c, _ = filter.Compile(f.Where)
			}
			compiled[rev], conds[i] = c, c
		}
		sets[ep] = filter.NewSet(fs, conds)
	}
	s.mu.Lock()
	s.byEP, s.sets, s.compiled = idx, sets, compiled
	s.mu.Unlock()
}

func (s *Store) changed(endpointID string) {
	s.mu.RLock()
	fns := slices.Clone(s.onChange)
	s.mu.RUnlock()
	for _, fn := range fns {
		fn(endpointID)
	}
}

// Endpoint returns an endpoint by id.
func (s *Store) Endpoint(id string) (proto.Endpoint, bool) { return s.EndpointSet.Get(id) }

// Filters returns the filters linked to an endpoint (shared; do not modify).
func (s *Store) Filters(endpointID string) []proto.EventFilter {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byEP[endpointID]
}

// Matcher returns an endpoint's filters compiled for matching (nil: no
// filters).
func (s *Store) Matcher(endpointID string) *filter.Set {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sets[endpointID]
}

// OnChange registers fn for changes of endpoints and their filters; an
// empty id means "any endpoint may have changed".
func (s *Store) OnChange(fn func(endpointID string)) {
	s.mu.Lock()
	s.onChange = append(s.onChange, fn)
	s.mu.Unlock()
}
