package composite

import (
	"slices"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

// rule is a proto.Rule compiled for the hot path, plus the open groups of
// its windows.
type rule struct {
	def      proto.Rule
	window   int64 // ns
	cooldown int64 // ns
	since    int64 // CountingSince, Unix ns; 0 when unknown (older rules)
	labels   idSet
	mics     idSet
	groups   map[string]*group // group value → open group
}

func compile(def proto.Rule) *rule {
	return &rule{
		def:      def,
		window:   int64(def.WindowSeconds) * int64(time.Second),
		cooldown: int64(def.CooldownSeconds) * int64(time.Second),
		since:    unixNano(def.CountingSince),
		labels:   newIDSet(def.IncludeLabelIDs),
		mics:     newIDSet(def.IncludeMicIDs),
		groups:   map[string]*group{},
	}
}

// matches reports whether ev is one of the rule's events: the rule is
// enabled, the event's label and microphone are included (an empty list
// includes everything) and, for a replayed event, it was received once the
// rule's definition was counting.
func (r *rule) matches(ev *Event) bool {
	return r.def.Enabled && r.labels.has(ev.LabelID) && r.mics.has(ev.MicID) &&
		(ev.Received == 0 || ev.Received >= r.since)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// groupValue is the attribute the rule groups by.
func (r *rule) groupValue(ev *Event) string {
	switch r.def.GroupBy {
	case proto.GroupByMic:
		return ev.MicID
	case proto.GroupByEdge:
		return ev.EdgeID
	default:
		return ev.LabelID
	}
}

// sameWindows reports whether a and b group and count events identically,
// so that open groups survive an edit of only the name or description.
func sameWindows(a, b proto.Rule) bool {
	return a.Owner == b.Owner && a.Enabled == b.Enabled && a.WindowSeconds == b.WindowSeconds &&
		a.MinEvents == b.MinEvents && a.GroupBy == b.GroupBy && a.CooldownSeconds == b.CooldownSeconds &&
		slices.Equal(a.IncludeLabelIDs, b.IncludeLabelIDs) && slices.Equal(a.IncludeMicIDs, b.IncludeMicIDs)
}

// idSet is a set of ids; the empty set contains everything. Rules usually
// list a handful of ids, which a linear scan checks faster than a map.
type idSet struct {
	list []string
	m    map[string]struct{}
}

const idSetMapAbove = 8

func newIDSet(ids []string) idSet {
	if len(ids) > idSetMapAbove {
		m := make(map[string]struct{}, len(ids))
		for _, id := range ids {
			m[id] = struct{}{}
		}
		return idSet{m: m}
	}
	return idSet{list: slices.Clone(ids)}
}

func (s idSet) has(id string) bool {
	if s.m != nil {
		_, ok := s.m[id]
		return ok
	}
	if len(s.list) == 0 {
		return true
	}
	for _, v := range s.list {
		if v == id {
			return true
		}
	}
	return false
}
