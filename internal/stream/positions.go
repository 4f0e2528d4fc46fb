package stream

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/evtctl/evtctl/internal/hub"
	"github.com/evtctl/evtctl/internal/store"
)

// PositionBucket is the KV bucket holding, per websocket endpoint, the log
// sequence of the last event written to any of its sockets: where a new
// socket of the endpoint continues (docs/endpoints.md#websocket-resume).
const PositionBucket = "evtctl_ws_positions"

// positionEvery is how often a node stores the positions that moved.
const positionEvery = time.Second

// Positions remembers how far each endpoint's stream was written. Sessions
// report nothing per event: every positionEvery, and when one of them
// ends, the node reads what its endpoints' sessions wrote (hub.Session's
// Written) and raises the stored positions that moved, with
// compare-and-set, so the stored position only grows and is the furthest
// any socket on any node wrote.
type Positions struct {
	kv  jetstream.KeyValue
	log *slog.Logger

	mu  sync.Mutex
	eps map[string]*endpointPosition
	due chan struct{} // a session ended: store now
}

type endpointPosition struct {
	sessions map[*hub.Session]struct{}
	written  uint64 // the furthest written on this node (ended sessions included)
	stored   uint64 // the furthest this node knows is stored
}

// OpenPositions opens (creating if needed) the bucket.
func OpenPositions(ctx context.Context, js jetstream.JetStream, replicas int, log *slog.Logger) (*Positions, error) {
	if replicas < 1 {
		replicas = 1
	}
	kv, err := store.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{Bucket: PositionBucket, History: 1, Replicas: replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, err
	}
	return &Positions{kv: kv, log: log, eps: map[string]*endpointPosition{}, due: make(chan struct{}, 1)}, nil
}

func positionKey(endpointID string) string { return keyEncoding.EncodeToString([]byte(endpointID)) }

// Get returns the position an endpoint's new socket continues after: the
// furthest written by any of its sockets, on this node (live ones
// included) or stored by any node. ok is false when none was ever written.
func (p *Positions) Get(ctx context.Context, endpointID string) (seq uint64, ok bool, err error) {
	p.mu.Lock()
	if e := p.eps[endpointID]; e != nil {
		seq = e.current()
		ok = seq > 0
	}
	p.mu.Unlock()
	entry, err := p.kv.Get(ctx, positionKey(endpointID))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return seq, ok, nil
	}
	if err != nil {
		return 0, false, err
	}
	if n, perr := strconv.ParseUint(string(entry.Value()), 10, 64); perr == nil && n >= seq {
		seq, ok = n, true
	}
	return seq, ok, nil
}

// current is the furthest written by the node's sessions; ended sessions
// are folded into written and dropped. p.mu is held.
func (e *endpointPosition) current() uint64 {
	for s := range e.sessions {
		if s.Ended() {
			delete(e.sessions, s)
		}
		e.written = max(e.written, s.Written())
	}
	return e.written
}

// Track counts sess, just registered, as a socket of endpointID until it
// ends.
func (p *Positions) Track(endpointID string, sess *hub.Session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.eps[endpointID]
	if e == nil {
		e = &endpointPosition{sessions: map[*hub.Session]struct{}{}}
		p.eps[endpointID] = e
	}
	e.sessions[sess] = struct{}{}
}

// Ended has the positions stored now: a socket ended (its session is
// done), and a new one may come at once, possibly to another node.
func (p *Positions) Ended() {
	select {
	case p.due <- struct{}{}:
	default:
	}
}

// Forget drops an endpoint's position (the endpoint was deleted).
func (p *Positions) Forget(ctx context.Context, endpointID string) {
	p.mu.Lock()
	delete(p.eps, endpointID)
	p.mu.Unlock()
	if err := p.kv.Delete(ctx, positionKey(endpointID)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		p.log.Warn("endpoint position not deleted", "endpoint", endpointID, "err", err)
	}
}

// Run stores the positions that moved every positionEvery and when a
// session ended, until ctx ends (and once more then).
func (p *Positions) Run(ctx context.Context) {
	t := time.NewTicker(positionEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			p.Flush(sctx)
			cancel()
			return
		case <-t.C:
		case <-p.due:
		}
		p.Flush(ctx)
	}
}

// Flush stores every position that moved since it was last stored, and
// forgets endpoints with no socket left once their position is stored.
func (p *Positions) Flush(ctx context.Context) {
	type move struct {
		id  string
		seq uint64
	}
	var moves []move
	p.mu.Lock()
	for id, e := range p.eps {
		if n := e.current(); n > e.stored {
			moves = append(moves, move{id, n})
		} else if len(e.sessions) == 0 {
			delete(p.eps, id)
		}
	}
	p.mu.Unlock()
	for _, m := range moves {
		if err := p.raise(ctx, m.id, m.seq); err != nil {
			if ctx.Err() == nil {
				p.log.Warn("endpoint position not stored", "endpoint", m.id, "err", err)
			}
			continue
		}
		p.mu.Lock()
		if e := p.eps[m.id]; e != nil {
			e.stored = max(e.stored, m.seq)
		}
		p.mu.Unlock()
	}
}

// errStored: a position at least as far is stored already.
var errStored = errors.New("stored already")

// raise stores seq as endpointID's position unless one as far is stored.
func (p *Positions) raise(ctx context.Context, endpointID string, seq uint64) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := store.UpdateKey(ctx, p.kv, positionKey(endpointID), func(cur []byte) ([]byte, error) {
		if n, err := strconv.ParseUint(string(cur), 10, 64); err == nil && n >= seq {
			return nil, errStored
		}
		return []byte(strconv.FormatUint(seq, 10)), nil
	}, nil)
	if errors.Is(err, errStored) {
		return nil
	}
	return err
}
