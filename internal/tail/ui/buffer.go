package ui

import "github.com/evtctl/evtctl/internal/tail"

// buffer keeps the newest max items in arrival order, and the positions of
// those passing the current filter. A position numbers items in the order
// the buffer got them (Seq may have gaps: the feed drops items the screen
// could not keep up with), so lookup by position is an index.
type buffer struct {
	max   int
	start uint64      // position of items[0]
	items []tail.Item // items[i] is at position start+i
	vis   []uint64    // positions of filtered items, ascending
}

// add appends items and drops the oldest beyond max. It returns how many
// entries left the front of vis, so indexes into vis can be shifted.
func (b *buffer) add(items []tail.Item, f filter) (dropped int) {
	for i := range items {
		pos := b.start + uint64(len(b.items))
		b.items = append(b.items, items[i])
		if f.match(&b.items[len(b.items)-1]) {
			b.vis = append(b.vis, pos)
		}
	}
	if over := len(b.items) - b.max; over > 0 {
		// Reslicing keeps this O(1); append copies only the kept items
		// when it next grows the array.
		b.items = b.items[over:]
		b.start += uint64(over)
		for dropped < len(b.vis) && b.vis[dropped] < b.start {
			dropped++
		}
		b.vis = b.vis[dropped:]
	}
	return dropped
}

// get returns the item at pos, if still kept.
func (b *buffer) get(pos uint64) *tail.Item {
	if pos < b.start || pos-b.start >= uint64(len(b.items)) {
		return nil
	}
	return &b.items[pos-b.start]
}

// refilter rebuilds vis for a new filter.
func (b *buffer) refilter(f filter) {
	b.vis = b.vis[:0]
	for i := range b.items {
		if f.match(&b.items[i]) {
			b.vis = append(b.vis, b.start+uint64(i))
		}
	}
}
