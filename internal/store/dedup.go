package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
	"unsafe"

	"github.com/dchest/siphash"
	"github.com/nats-io/nats.go/jetstream"
)

// dedupIndex remembers, for the de-duplication window, the identity of
// every event in the log, so that an event sent again is acknowledged as a
// duplicate and not stored twice. JetStream's own de-duplication works per
// message and cannot see inside a bundle; a lone event still carries its
// identity as Nats-Msg-Id, so JetStream remains the exact judge for those
// (across nodes too), and the index is what decides for bundled ones.
//
// The index learns identities from this node's appends as they happen and
// from every message in the log (other nodes', sourced edges') through a
// headers-only follower; at open it reads the log back one window. Two
// nodes given the same id inside a bundle within the few milliseconds it
// takes the log to reach the other may both store it.
//
// Identities are kept as 128-bit keyed hashes (SipHash-128 under a random
// key: ids an attacker chooses cannot be made to collide, so one tenant's
// event is never dropped as a duplicate of another's) in maps without
// pointers, which the garbage collector does not scan: about 75 bytes an
// id with the map and the expiry queue. The key is kept with the index's
// journal (journal.go), whose hashes are valid only under it.
type dedupIndex struct {
	window     time.Duration
	key0, key1 uint64
	mu         sync.Mutex
	stored     *idMap
	pending    map[idKey]pendingID // being stored by an append on this node
	expiry     []expiring          // in (nearly) the order they were stored
	expiryHead int

	// What the journal needs to say how far in the log it is complete
	// (through): the highest message sequence settled or learned, the
	// last one the follower learned, whether the follower runs live, and
	// for every append in progress the highest sequence known when it
	// began (its messages all come after it).
	highest   uint64
	learned   uint64
	following bool
	inFlight  map[*reservation]uint64
	settled   chan struct{} // closed once inFlight is empty (waitSettled)
	// journaling makes every identity added to stored go to toJournal too.
	journaling  bool
	toJournal   []journaled
	journalWake chan struct{} // wakes the journal's writer early
}

type idKey [16]byte

type storedID struct {
	pos     uint64 // position of the stored event (0: not known)
	expires int64  // unix ns
}

// pendingID is an identity an append on this node is storing; others wait
// for done (its outcome).
type pendingID struct {
	done  chan struct{}
	inLog bool   // seen in the log meanwhile: stored, whatever the append hears
	pos   uint64 // where the log showed it
}

// expiring is an entry of the expiry queue.
type expiring struct {
	key     idKey
	expires int64
}

// journaled is an entry of the journal: the queue's, with the position.
type journaled struct {
	expiring
	pos uint64
}

func newDedupIndex(window time.Duration) *dedupIndex {
	var k [16]byte
	_, _ = rand.Read(k[:]) // never fails (crypto/rand panics instead)
	return &dedupIndex{
		window:   window,
		key0:     binary.LittleEndian.Uint64(k[:8]),
		key1:     binary.LittleEndian.Uint64(k[8:]),
		stored:   newIDMap(),
		pending:  map[idKey]pendingID{},
		inFlight: map[*reservation]uint64{},
	}
}

func (d *dedupIndex) key(id string) idKey {
	// The string's bytes are only read: no copy.
	a, b := siphash.Hash128(d.key0, d.key1, unsafe.Slice(unsafe.StringData(id), len(id)))
	var k idKey
	binary.LittleEndian.PutUint64(k[:8], a)
	binary.LittleEndian.PutUint64(k[8:], b)
	return k
}

// addLocked remembers an identity as stored at pos until expires.
func (d *dedupIndex) addLocked(k idKey, pos uint64, expires int64) {
	d.stored.set(k, storedID{pos: pos, expires: expires})
	d.expiry = append(d.expiry, expiring{k, expires})
	if d.journaling {
		d.toJournal = append(d.toJournal, journaled{expiring{k, expires}, pos})
		if len(d.toJournal) == flushAt {
			select {
			case d.journalWake <- struct{}{}:
			default:
			}
		}
	}
	d.highest = max(d.highest, msgSeq(pos))
}

// throughLocked is the highest message sequence up to which every
// identity of the log is in stored (or expired): what the follower
// learned when it runs live; otherwise, with this node the only writer,
// the highest sequence settled, but not past an append still in progress,
// whose messages (after the sequence it began at) may be acknowledged and
// not yet settled.
func (d *dedupIndex) throughLocked() uint64 {
	if d.following {
		return d.learned
	}
	t := d.highest
	for _, base := range d.inFlight {
		t = min(t, base)
	}
	return t
}

// reservation is the outcome of reserve for one batch.
type reservation struct {
	d    *dedupIndex
	ids  []reservedID // one per entry of the batch
	done chan struct{}
}

// reservedID is what reserve decided for one entry.
type reservedID struct {
	key   idKey
	owned bool // reserved: this batch stores it and settles it
	dup   bool // a duplicate, of the stored event at pos or of entry twin
	pos   uint64
	twin  int // index of the original in this batch, or -1
}

// reserve marks every identity of ids that is not remembered as being
// stored by the caller, and reports the others as duplicates. An identity
// another append is storing right now is waited for, so that a failed
// store is not reported as a duplicate. The caller must call settle.
func (d *dedupIndex) reserve(ctx context.Context, ids []string) (*reservation, error) {
	r := &reservation{d: d, ids: make([]reservedID, len(ids)), done: make(chan struct{})}
	for i, id := range ids {
		r.ids[i] = reservedID{key: d.key(id), twin: -1}
	}
	mine := map[idKey]int{} // first entry of each identity this batch reserved
	d.mu.Lock()
	d.inFlight[r] = d.highest
	d.mu.Unlock()
	for {
		var wait chan struct{}
		d.mu.Lock()
		d.expireLocked(time.Now().UnixNano())
		for i := range r.ids {
			it := &r.ids[i]
			if it.owned || it.dup {
				continue
			}
			if st, ok := d.stored.get(it.key); ok {
				it.dup, it.pos = true, st.pos
				continue
			}
			p, ok := d.pending[it.key]
			switch {
			case !ok:
				d.pending[it.key] = pendingID{done: r.done}
				it.owned = true
				mine[it.key] = i
			case p.done == r.done:
				it.dup, it.twin = true, mine[it.key] // twice in one batch
			default:
				wait = p.done
			}
		}
		d.mu.Unlock()
		if wait == nil {
			return r, nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			r.settle(nil)
			return nil, ctx.Err()
		}
	}
}

// settle records the outcome of the batch: stored[i] is the position of
// entry i when it was stored (or found stored by JetStream), 0 when it was
// not. Identities not stored are forgotten unless the log showed them.
func (r *reservation) settle(stored []uint64) {
	d := r.d
	d.mu.Lock()
	expires := time.Now().UnixNano() + int64(d.window)
	for i, it := range r.ids {
		if !it.owned {
			continue
		}
		p := d.pending[it.key]
		delete(d.pending, it.key)
		pos := p.pos
		switch {
		case stored != nil && stored[i] != 0:
			pos = stored[i]
		case p.inLog:
		default:
			continue
		}
		d.addLocked(it.key, pos, expires)
	}
	delete(d.inFlight, r)
	if len(d.inFlight) == 0 && d.settled != nil {
		close(d.settled)
		d.settled = nil
	}
	d.mu.Unlock()
	close(r.done)
}

// waitSettled waits, up to timeout, until no append is in progress or
// waiting to settle: a clean stop's last journal chunk then has every
// identity of the log, and the next open reads nothing back.
func (d *dedupIndex) waitSettled(timeout time.Duration) {
	d.mu.Lock()
	if len(d.inFlight) == 0 {
		d.mu.Unlock()
		return
	}
	if d.settled == nil {
		d.settled = make(chan struct{})
	}
	ch := d.settled
	d.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(timeout):
	}
}

// learn records identities found in the log: a message at seq received at
// ts holding ids (see bundledIDs).
func (d *dedupIndex) learn(seq uint64, ts time.Time, ids []string) {
	expires := ts.UnixNano() + int64(d.window)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now().UnixNano()
	d.learned = max(d.learned, seq)
	d.highest = max(d.highest, seq)
	if expires <= now {
		return
	}
	for i, id := range ids {
		k := d.key(id)
		pos := position(seq, i, len(ids))
		if p, ok := d.pending[k]; ok {
			p.inLog, p.pos = true, pos
			d.pending[k] = p
			continue
		}
		if _, ok := d.stored.get(k); ok {
			continue
		}
		d.addLocked(k, pos, expires)
	}
	d.expireLocked(now)
}

// expireLocked forgets identities older than the window.
func (d *dedupIndex) expireLocked(now int64) {
	for d.expiryHead < len(d.expiry) && d.expiry[d.expiryHead].expires <= now {
		e := d.expiry[d.expiryHead]
		if st, ok := d.stored.get(e.key); ok && st.expires == e.expires {
			d.stored.del(e.key)
		}
		d.expiryHead++
	}
	// Reclaim the queue's consumed front once it is half of it.
	if d.expiryHead > 1024 && d.expiryHead*2 > len(d.expiry) {
		d.expiry = append(d.expiry[:0], d.expiry[d.expiryHead:]...)
		d.expiryHead = 0
	}
}

// size is the number of remembered identities.
func (d *dedupIndex) size() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stored.len() + len(d.pending)
}

// followIDs feeds the index from the log: first the messages after
// message after (the journal's through), or with after 0 those of the last
// window; it returns once it has read up to the log's end as it was at
// end, so that no append is judged on a partial index. Then, with live, it
// goes on with every new message, whoever stored it. Messages are read
// headers only.
func (l *Log) followIDs(ctx context.Context, info *jetstream.StreamInfo, after uint64, live bool) (stop func(), err error) {
	end := info.State.LastSeq
	if after >= end && !live {
		return func() {}, nil // the journal had it all
	}
	cfg := jetstream.OrderedConsumerConfig{
		HeadersOnly:       true,
		InactiveThreshold: 30 * time.Second,
	}
	if after > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, after+1
	} else {
		start := time.Now().Add(-l.dedup.window)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := l.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	caughtUp := make(chan struct{})
	var once sync.Once
	if info.State.Msgs == 0 || after >= end {
		once.Do(func() { close(caughtUp) })
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			return
		}
		ids, err := bundledIDs(m.Subject(), m.Headers())
		if err != nil {
			ids = nil // not an event of ours: only its sequence counts
		}
		l.dedup.learn(md.Sequence.Stream, md.Timestamp, ids)
		if md.Sequence.Stream >= end || md.NumPending == 0 {
			once.Do(func() { close(caughtUp) })
		}
	}, jetstream.PullMaxMessages(1024))
	if err != nil {
		return nil, err
	}
	stop = func() {
		cc.Stop()
		<-cc.Closed()
	}
	// Messages older than the window were all skipped by the start time:
	// an old log may have nothing to deliver at all.
	ci, err := cons.Info(ctx)
	if err == nil && ci.NumPending == 0 && ci.Delivered.Stream == 0 {
		once.Do(func() { close(caughtUp) })
	}
	select {
	case <-caughtUp:
		if !live {
			stop()
			return func() {}, nil
		}
		l.dedup.mu.Lock()
		l.dedup.following = true
		l.dedup.learned = max(l.dedup.learned, end)
		l.dedup.mu.Unlock()
		return stop, nil
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	}
}
