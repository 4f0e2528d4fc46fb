package composite

// group holds the unconsumed events of one rule and one group value, sorted
// by (event time, id).
//
// Invariant: no min_events of them lie within window_seconds of the first
// of them. (Otherwise a composite would already have fired.) Removing
// events keeps the invariant, and inserting one event can only create
// windows that contain it, each holding exactly min_events events — which
// is why a composite consumes a contiguous run found next to the insertion
// point.
type group struct {
	events   []slot
	fired    bool
	lastFire int64 // event time of the newest event of the last composite
}

// slot keeps the event's time next to the pointer: the hot path compares
// times of neighbouring events, and this keeps those reads in one cache
// line instead of one miss per event.
type slot struct {
	t  int64
	ev *Event
}

// before orders events by time, then id, so the order does not depend on
// arrival.
func before(a slot, b slot) bool {
	return a.t < b.t || a.t == b.t && a.ev.ID < b.ev.ID
}

// insert adds ev and returns the index it got.
func (g *group) insert(ev *Event) int {
	s := slot{ev.Time, ev}
	i := len(g.events)
	for i > 0 && before(s, g.events[i-1]) { // usually appends: events arrive mostly in order
		i--
	}
	g.events = append(g.events, slot{})
	copy(g.events[i+1:], g.events[i:])
	g.events[i] = s
	return i
}

// run returns the earliest run of min events within window of its first
// that contains index p, as [i, i+min), or -1.
func (g *group) run(p, min int, window int64) int {
	for i := max(0, p-min+1); i <= p; i++ {
		j := i + min - 1
		if j >= len(g.events) {
			break
		}
		if g.events[j].t-g.events[i].t <= window {
			return i
		}
	}
	return -1
}

// take removes and returns events [i, i+n).
func (g *group) take(i, n int) []*Event {
	out := make([]*Event, n)
	for k := range out {
		out[k] = g.events[i+k].ev
	}
	g.events = append(g.events[:i], g.events[i+n:]...)
	clear(g.events[len(g.events) : len(g.events)+n]) // let the GC have the moved-from tail
	return out
}

// dropBefore removes the events older than t (they are sorted, so a
// prefix). It reslices rather than copies: the freed front of the array is
// reclaimed when append next reallocates.
func (g *group) dropBefore(t int64) {
	n := 0
	for n < len(g.events) && g.events[n].t < t {
		n++
	}
	if n == 0 {
		return
	}
	clear(g.events[:n])
	g.events = g.events[n:]
	if len(g.events) == 0 {
		g.events = nil
	}
}
