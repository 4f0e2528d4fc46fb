// Package filter holds the event-filter semantics of docs/contract.md#filters: within a
// field any listed value matches, across fields all must match, an empty
// field does not constrain; an endpoint with several filters receives an
// event if any filter passes it, and with none it receives every event of
// its tenant.
package filter

import (
	"slices"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Attrs are the routing attributes a filter looks at.
type Attrs struct {
	DeviceID   string
	AgentID    string
	EventType  string
	Watchlists []string
}

// AttrsOf extracts the attributes of a stored event. Composites have no
// device (their subject's device token carries the composite id).
func AttrsOf(rec store.Record) Attrs {
	return Attrs{
		DeviceID:   rec.Address.RoutingDevice(),
		AgentID:    rec.Address.AgentID,
		EventType:  rec.Address.EventType,
		Watchlists: rec.Watchlists,
	}
}

// Match reports whether one filter's routing fields pass an event (its
// condition, if any, is Set's business).
func Match(f proto.EventFilter, a Attrs) bool {
	if len(f.DeviceIDs) > 0 && !slices.Contains(f.DeviceIDs, a.DeviceID) {
		return false
	}
	if len(f.AgentIDs) > 0 && !slices.Contains(f.AgentIDs, a.AgentID) {
		return false
	}
	if len(f.EventTypes) > 0 && !slices.Contains(f.EventTypes, a.EventType) {
		return false
	}
	if len(f.WatchlistIDs) > 0 && !slices.ContainsFunc(a.Watchlists, func(w string) bool { return slices.Contains(f.WatchlistIDs, w) }) {
		return false
	}
	return true
}

// MatchAny applies an endpoint's filters without conditions: no filters
// pass everything.
func MatchAny(fs []proto.EventFilter, a Attrs) bool {
	if len(fs) == 0 {
		return true
	}
	for _, f := range fs {
		if Match(f, a) {
			return true
		}
	}
	return false
}
