package hub

import (
	"cmp"
	"slices"
)

// shed closes sessions, those with the most bytes queued first, until what
// the rest hold is under nine tenths of limit: past the node's bound
// (Options.NodeQueueBytes) the clients furthest behind are the ones to go
// (they are closed as slow consumers, 4008 on a WebSocket, and resume from
// their cursor), while the others keep receiving, in order. Closing drops a
// session's backlog at once, so the count falls as soon as Close returns.
// The margin keeps the hub from sorting its sessions on every event while
// it hovers at the bound.
func (h *Hub) shed(limit int64) {
	type held struct {
		s     *Session
		bytes int64
	}
	h.mu.RLock()
	list := make([]held, 0, len(h.all))
	for s := range h.all {
		if b := s.queuedBytes(); b > 0 {
			list = append(list, held{s, b})
		}
	}
	h.mu.RUnlock()
	slices.SortFunc(list, func(a, b held) int { return cmp.Compare(b.bytes, a.bytes) })
	target := limit / 10 * 9
	total := h.queued.Load()
	for _, x := range list {
		if total <= target {
			break
		}
		x.s.overflow()
		total -= x.bytes
	}
}
