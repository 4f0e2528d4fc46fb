package store

import (
	"encoding/binary"
	"runtime"
	"sync"
)

// idShards is the number of maps the index's identities are spread over.
// One map of ten million entries would do for lookups, but filling it at
// a start (most of a restart's work) is a cache miss an entry. A shard of
// a thousandth of the index fits in a core's cache: filled one after the
// other, on every core, from entries grouped by shard (idBuckets), ten
// million ids take a fraction of a second.
const idShards = 1024

// idMap is the index's stored identities, spread over shards by bits of
// their (already uniformly distributed) hash.
type idMap [idShards]map[idKey]storedID

func shardOf(k idKey) int { return int(binary.LittleEndian.Uint16(k[14:]) % idShards) }

func newIDMap() *idMap {
	m := new(idMap)
	for i := range m {
		m[i] = map[idKey]storedID{}
	}
	return m
}

func (m *idMap) get(k idKey) (storedID, bool) {
	v, ok := m[shardOf(k)][k]
	return v, ok
}

func (m *idMap) set(k idKey, v storedID) { m[shardOf(k)][k] = v }

func (m *idMap) del(k idKey) { delete(m[shardOf(k)], k) }

func (m *idMap) len() int {
	n := 0
	for _, s := range m {
		n += len(s)
	}
	return n
}

// idBuckets groups entries read from the journal by shard, in the order
// they were read.
type idBuckets [idShards][]journaled

func newIDBuckets(expected int) *idBuckets {
	b := new(idBuckets)
	for i := range b {
		b[i] = make([]journaled, 0, expected/idShards+expected/idShards/8)
	}
	return b
}

func (b *idBuckets) add(e journaled) {
	s := shardOf(e.key)
	b[s] = append(b[s], e)
}

// fill makes a map of the buckets' entries, shard after shard on as many
// goroutines as there are cores; a key given twice keeps its last entry.
func (b *idBuckets) fill() *idMap {
	m := new(idMap)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for s := w; s < idShards; s += workers {
				shard := make(map[idKey]storedID, len(b[s]))
				for _, e := range b[s] {
					shard[e.key] = storedID{pos: e.pos, expires: e.expires}
				}
				m[s] = shard
				b[s] = nil // freed as we go
			}
		})
	}
	wg.Wait()
	return m
}
