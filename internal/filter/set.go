package filter

import (
	"slices"
	"sync/atomic"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Set is an endpoint's filters ready for the hot path: conditions compiled
// once (per filter revision, see Cache), so matching an event costs what
// the routing fields cost plus, for a filter with a condition whose routing
// fields passed, one decoding of the payload and the condition's
// evaluation. The zero Set (no filters) passes every event of the tenant
// but operational ones.
type Set struct {
	filters []proto.EventFilter
	conds   []*Condition // parallel to filters; nil: no condition
	fields  []string     // every member the conditions read…
	whole   bool         // …or the whole payload
}

// NewSet builds a Set; conds[i] is filters[i]'s compiled condition (nil
// for none, or when it did not compile: such a filter matches nothing).
func NewSet(filters []proto.EventFilter, conds []*Condition) *Set {
	s := &Set{filters: filters, conds: conds}
	for _, c := range conds {
		if c == nil {
			continue
		}
		s.whole = s.whole || c.whole
		for _, f := range c.fields {
			if !slices.Contains(s.fields, f) {
				s.fields = append(s.fields, f)
			}
		}
	}
	return s
}

// Filters returns the set's filters (shared; do not modify).
func (s *Set) Filters() []proto.EventFilter {
	if s == nil {
		return nil
	}
	return s.filters
}

// EvalErrors counts condition evaluations that failed (and so did not
// match) since start; the metrics package exports it.
var EvalErrors atomic.Uint64

// Match applies the set to an event. Operational events are opt-in: they
// pass only a filter that names their type in event_types, so that an
// endpoint created before they existed receives what it received before,
// and an endpoint never receives reports about itself by accident.
func (s *Set) Match(rec store.Record) bool {
	a := AttrsOf(rec)
	operational := rec.Address.Family == string(proto.FamilyOperational)
	if s == nil || len(s.filters) == 0 {
		return !operational
	}
	var p *payload // decoded on the first condition only
	for i, f := range s.filters {
		if operational && !slices.Contains(f.EventTypes, a.EventType) {
			continue
		}
		if !Match(f, a) {
			continue
		}
		if f.Where == "" {
			return true
		}
		c := s.conds[i]
		if c == nil {
			continue
		}
		if p == nil {
			p = &payload{rec: rec, fields: s.fields, whole: s.whole}
		}
		ok, err := c.eval(p)
		if err != nil {
			EvalErrors.Add(1)
			continue
		}
		if ok {
			return true
		}
	}
	return false
}
