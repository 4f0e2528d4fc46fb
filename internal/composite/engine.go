package composite

import (
	"slices"
	"strings"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

// Event is a sound event as the engine sees it.
type Event struct {
	ID      string
	LabelID string
	MicID   string
	EdgeID  string // microphone.edge_id; "" when absent
	Time    int64  // created_at, Unix nanoseconds
	// Received is when the log received the event (Unix nanoseconds), set
	// only when a restart replays the log: a rule then skips the events
	// received before its CountingSince, as it did when they were live.
	Received int64
	// Data is the event exactly as stored in the log; composites embed it
	// untouched.
	Data []byte
}

// Emission is a composite produced by the engine, before rendering
// (Payload renders it).
type Emission struct {
	ID       string
	Owner    string
	GroupKey string
	Rule     proto.Rule // the rule as it was when the composite fired
	Events   []*Event   // in time order
}

// StartedAt is when the composite's window started: its first event's time.
func (e *Emission) StartedAt() time.Time { return time.Unix(0, e.Events[0].Time).UTC() }

// Config parameterises an Engine.
type Config struct {
	// EdgeName prefixes group keys ("edge-01:normal_speech_female").
	EdgeName string
	// AllowedLateness is how far (in event time) behind the newest event of
	// its tenant an event may be and still count.
	AllowedLateness time.Duration
}

// Stats are the engine's counters since it was created.
type Stats struct {
	Emitted    uint64 // composites produced
	Late       uint64 // events older than their tenant's watermark, not used
	Duplicates uint64 // events whose id was already seen, not used
	Suppressed uint64 // (event, rule) pairs not used because of the rule's cooldown
	Groups     int    // open groups (with buffered events or a running cooldown)
}

// Engine derives composites from sound events. It is a pure function of the
// sequence of Add calls (and rule changes): it never reads a clock. It is
// not safe for concurrent use; the Service serialises calls.
//
// Event time drives everything. Each tenant has a watermark: the newest
// created_at seen among its events that matched a rule, minus the allowed
// lateness. Events older than the watermark are late; windows that can no
// longer complete are dropped as the watermark passes them.
type Engine struct {
	cfg      Config
	lateness int64
	rules    map[string]*rule
	tenants  map[string]*tenant
	stats    Stats
	matched  []*rule // scratch of Add
}

// tenant is the state of one owner's event stream.
type tenant struct {
	rules     []*rule            // enabled or not, sorted by id (emission order)
	byLabel   map[string][]*rule // label → enabled rules that may match it, by id
	anyLabel  []*rule            // enabled rules with no label list, by id
	hasMax    bool
	maxT      int64
	seen      map[string]int64 // event id → time, while at or above the watermark
	seenQ     []seenEntry      // the same in arrival order, to expire seen
	seenHead  int
	consumed  map[consumedKey]int64 // restored after a restart (Restore)
	nextSweep int64
}

type seenEntry struct {
	id string
	t  int64
}

type consumedKey struct{ rule, event string }

// sweepEvery is how much event time passes between sweeps of a tenant's
// groups for windows the watermark has passed. Groups are also trimmed
// whenever an event touches them; the sweep only bounds memory for groups
// that fall silent.
const sweepEvery = int64(time.Second)

// NewEngine creates an engine without rules.
func NewEngine(cfg Config) *Engine {
	return &Engine{cfg: cfg, lateness: int64(cfg.AllowedLateness), rules: map[string]*rule{}, tenants: map[string]*tenant{}}
}

func (e *Engine) tenant(owner string) *tenant {
	t := e.tenants[owner]
	if t == nil {
		t = &tenant{seen: map[string]int64{}}
		e.tenants[owner] = t
	}
	return t
}

// PutRule adds or replaces a rule. A change that affects grouping or
// counting (anything but name and description) drops the rule's open
// windows: the new definition applies to new events only.
func (e *Engine) PutRule(def proto.Rule) {
	if old := e.rules[def.ID]; old != nil {
		if sameWindows(old.def, def) {
			old.def = def
			return
		}
		e.DeleteRule(def.ID)
	}
	r := compile(def)
	e.rules[def.ID] = r
	t := e.tenant(def.Owner)
	i, _ := slices.BinarySearchFunc(t.rules, def.ID, func(r *rule, id string) int { return strings.Compare(r.def.ID, id) })
	t.rules = slices.Insert(t.rules, i, r)
	t.reindex()
}

// reindex rebuilds the label index, so that an event is checked only
// against the rules that can match its label. Each list is in rule id
// order, which is the order composites of one event are emitted in.
func (t *tenant) reindex() {
	t.byLabel, t.anyLabel = map[string][]*rule{}, nil
	for _, r := range t.rules {
		if !r.def.Enabled {
			continue
		}
		if len(r.def.IncludeLabelIDs) == 0 {
			t.anyLabel = append(t.anyLabel, r)
			continue
		}
		for _, l := range r.def.IncludeLabelIDs {
			t.byLabel[l] = append(t.byLabel[l], r)
		}
	}
	if len(t.anyLabel) > 0 {
		for l, rs := range t.byLabel {
			rs = append(rs, t.anyLabel...)
			slices.SortFunc(rs, func(a, b *rule) int { return strings.Compare(a.def.ID, b.def.ID) })
			t.byLabel[l] = rs
		}
	}
}

// DeleteRule removes a rule and its open windows.
func (e *Engine) DeleteRule(id string) {
	r := e.rules[id]
	if r == nil {
		return
	}
	delete(e.rules, id)
	e.stats.Groups -= len(r.groups)
	if t := e.tenants[r.def.Owner]; t != nil {
		t.rules = slices.DeleteFunc(t.rules, func(x *rule) bool { return x == r })
		t.reindex()
	}
}

// Stats returns the counters.
func (e *Engine) Stats() Stats { return e.stats }

// Add feeds one sound event of owner and returns the composites it
// completes (usually none), in rule id order. ev must not be modified
// afterwards: the engine keeps it until its windows close.
func (e *Engine) Add(owner string, ev *Event) []Emission {
	t := e.tenants[owner]
	if t == nil || len(t.rules) == 0 {
		return nil
	}
	candidates, ok := t.byLabel[ev.LabelID]
	if !ok {
		candidates = t.anyLabel
	}
	matched := e.matched[:0]
	for _, r := range candidates {
		if r.matches(ev) {
			matched = append(matched, r)
		}
	}
	e.matched = matched[:0]
	if len(matched) == 0 {
		return nil
	}
	if _, dup := t.seen[ev.ID]; dup {
		e.stats.Duplicates++
		return nil
	}
	if t.hasMax && ev.Time < t.maxT-e.lateness {
		e.stats.Late++
		return nil
	}
	t.seen[ev.ID] = ev.Time
	t.seenQ = append(t.seenQ, seenEntry{ev.ID, ev.Time})
	if !t.hasMax || ev.Time > t.maxT {
		t.hasMax, t.maxT = true, ev.Time
	}
	wm := t.maxT - e.lateness
	t.expireSeen(wm)

	var out []Emission
	for _, r := range matched {
		if len(t.consumed) > 0 {
			if _, done := t.consumed[consumedKey{r.def.ID, ev.ID}]; done {
				continue // already part of a stored composite (see Restore)
			}
		}
		key := r.groupValue(ev)
		g := r.groups[key]
		if g == nil {
			g = &group{}
			r.groups[key] = g
			e.stats.Groups++
		}
		// No event still to come (time >= wm) can share a window with
		// events older than wm - window.
		g.dropBefore(wm - r.window)
		if g.fired && ev.Time < g.lastFire+r.cooldown {
			e.stats.Suppressed++
			continue
		}
		p := g.insert(ev)
		i := g.run(p, r.def.MinEvents, r.window)
		if i < 0 {
			continue
		}
		evs := g.take(i, r.def.MinEvents)
		g.fired, g.lastFire = true, evs[len(evs)-1].Time
		if r.cooldown > 0 {
			g.dropBefore(g.lastFire + r.cooldown)
		}
		e.stats.Emitted++
		out = append(out, Emission{
			ID:       compositeID(r.def.ID, evs),
			Owner:    owner,
			GroupKey: e.cfg.EdgeName + ":" + key,
			Rule:     r.def,
			Events:   evs,
		})
	}
	if t.maxT >= t.nextSweep {
		e.sweep(t, wm)
		t.nextSweep = t.maxT + sweepEvery
	}
	return out
}

// expireSeen forgets ids of events below the watermark: a repeat of one of
// them is late anyway. The queue is in arrival order, so an out-of-order
// entry may be kept a little longer than needed; that only costs memory.
func (t *tenant) expireSeen(wm int64) {
	for t.seenHead < len(t.seenQ) && t.seenQ[t.seenHead].t < wm {
		delete(t.seen, t.seenQ[t.seenHead].id)
		t.seenQ[t.seenHead] = seenEntry{}
		t.seenHead++
	}
	if t.seenHead > 1024 && t.seenHead*2 > len(t.seenQ) {
		n := copy(t.seenQ, t.seenQ[t.seenHead:])
		t.seenQ = t.seenQ[:n]
		t.seenHead = 0
	}
}

// sweep drops what the watermark has made useless: events that can no
// longer complete a window, groups left empty and out of cooldown, and
// restored consumption marks.
func (e *Engine) sweep(t *tenant, wm int64) {
	for _, r := range t.rules {
		for k, g := range r.groups {
			g.dropBefore(wm - r.window)
			if len(g.events) == 0 && (!g.fired || g.lastFire+r.cooldown <= wm) {
				delete(r.groups, k)
				e.stats.Groups--
			}
		}
	}
	for k, ts := range t.consumed {
		if ts < wm {
			delete(t.consumed, k)
		}
	}
}

// Restored is a composite found in the log when a node starts (see the
// Service's rebuild): its events must not be used again by its rule, and
// its group's cooldown runs from it.
type Restored struct {
	Owner      string
	RuleID     string
	GroupValue string
	Events     []*Event // ID and Time are enough
}

// Restore records a composite that already exists. Call it for the stored
// composites of the rebuild horizon before replaying that horizon's events.
func (e *Engine) Restore(c Restored) {
	if len(c.Events) == 0 {
		return
	}
	t := e.tenant(c.Owner)
	if t.consumed == nil {
		t.consumed = map[consumedKey]int64{}
	}
	last := c.Events[0].Time
	for _, ev := range c.Events {
		t.consumed[consumedKey{c.RuleID, ev.ID}] = ev.Time
		last = max(last, ev.Time)
	}
	r := e.rules[c.RuleID]
	if r == nil || r.cooldown == 0 || r.def.Owner != c.Owner {
		return
	}
	g := r.groups[c.GroupValue]
	if g == nil {
		g = &group{}
		r.groups[c.GroupValue] = g
		e.stats.Groups++
	}
	if !g.fired || last > g.lastFire {
		g.fired, g.lastFire = true, last
	}
}
