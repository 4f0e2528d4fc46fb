package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamName is the JetStream stream that holds every event of every family.
const StreamName = "EVENTS"

const (
	headerMsgID      = "Nats-Msg-Id"
	headerWatchlists = "Evt-Watchlists"
)

// LogOptions are the retention settings of the event log.
type LogOptions struct {
	Replicas    int
	MaxAge      time.Duration
	MaxBytes    int64
	DedupWindow time.Duration
	// EdgeSources names edges (their server.name) whose logs this one
	// copies through their JetStream domains (see EdgeDomain).
	EdgeSources []string
	// SoleWriter says that only this process appends to the log (an
	// embedded server nobody else can reach, copying no edge): the
	// de-duplication index then reads the log once at open and learns
	// from this node's appends alone, sparing JetStream a consumer that
	// would deliver every message again.
	SoleWriter bool
	// IndexDir, when set, keeps the de-duplication index's journal
	// (journal.go) so that an open reads it instead of the whole window
	// from the log. Only one process may use it: the embedded server's
	// data directory, which is locked.
	IndexDir string
	// Preload is the journal of IndexDir read while storage started
	// (PreloadJournal); without it, the open reads the journal itself.
	Preload *JournalPreload
	// Logger reports a journal that cannot be used or written.
	Logger *slog.Logger
}

// Log is the durable, ordered event log. Its positions (position.go) are
// the cursors clients see.
type Log struct {
	js      jetstream.JetStream
	stream  jetstream.Stream
	dedup   *dedupIndex
	journal *journal // nil without LogOptions.IndexDir
	loaded  loadedJournal
	stopIDs func()
	// readSlots bounds concurrent reads (read.go).
	readSlots chan struct{}
	// stored is the position of the newest event this process appended
	// (Stored).
	stored atomic.Uint64
}

// OpenLog creates or updates the event stream with the given retention.
func OpenLog(ctx context.Context, js jetstream.JetStream, o LogOptions) (*Log, error) {
	if o.Replicas < 1 {
		o.Replicas = 1
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = -1
	}
	cfg := jetstream.StreamConfig{
		Name:        StreamName,
		Description: "evtctl event log: every ingested and derived event",
		Subjects:    []string{SubjectPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      o.MaxAge,
		MaxBytes:    o.MaxBytes,
		Duplicates:  o.DedupWindow,
		Replicas:    o.Replicas,
		AllowDirect: true,
	}
	// An edge's events keep their subjects and ids: the copies are queried,
	// streamed and de-duplicated like events ingested here.
	for _, e := range o.EdgeSources {
		cfg.Sources = append(cfg.Sources, edgeSource(e))
	}
	s, err := EnsureStream(ctx, js, cfg)
	if err != nil {
		return nil, fmt.Errorf("create event stream: %w", err)
	}
	l := &Log{js: js, stream: s, dedup: newDedupIndex(o.DedupWindow), readSlots: make(chan struct{}, maxReads)}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	var after uint64 // the log is read after this message (0: the window)
	if o.IndexDir != "" {
		if o.Logger == nil {
			o.Logger = slog.New(slog.DiscardHandler)
		}
		j, loaded, err := openJournal(o.IndexDir, l.dedup, o.Preload.image(o.IndexDir), info.Created, info.State.LastSeq, o.Logger)
		if err != nil {
			return nil, fmt.Errorf("open the de-duplication journal: %w", err)
		}
		l.journal, l.loaded = j, loaded
		if loaded.ok {
			after = max(loaded.through, 1) // 0 would mean the window
		}
	}
	if l.stopIDs, err = l.followIDs(ctx, info, after, !o.SoleWriter); err != nil {
		l.Close()
		return nil, fmt.Errorf("read the event ids of the de-duplication window: %w", err)
	}
	if o.Logger != nil {
		o.Logger.Info("de-duplication index ready", "ids", l.dedup.size(), "from_journal", l.loaded.entries,
			"log_read_after", after, "took", time.Since(began).Round(time.Millisecond))
	}
	return l, nil
}

// Close stops the log's background reader of event ids and writes the
// rest of the index's journal.
func (l *Log) Close() {
	if l.stopIDs != nil {
		l.stopIDs()
		l.stopIDs = nil
	}
	if l.journal != nil {
		l.journal.close()
	}
}

// Entry is one event to append.
type Entry struct {
	Address    Address
	ID         string // de-duplication identity within owner and family
	Watchlists []string
	Data       []byte // compact JSON, exactly what consumers receive
}

// AppendResult reports what the log did with a batch.
type AppendResult struct {
	Accepted   int
	Duplicates int
	// Seqs holds the position of every entry, in order (for a duplicate:
	// the position of the original, or 0 when it is not known).
	Seqs []uint64
}

// Append stores a batch and returns once JetStream has acknowledged every
// entry as stored (or as a duplicate of a stored one). Entries already in
// the log, or twice in the batch, are duplicates; the others are stored in
// as few messages as bundling allows (bundle.go). On error some entries may
// have been stored; a retry of the same batch is safe because entries are
// de-duplicated by ID.
func (l *Log) Append(ctx context.Context, entries []Entry) (res AppendResult, err error) {
	ctx, span := traceAppend(ctx, len(entries))
	defer func() { endAppend(span, res, err) }()
	res = AppendResult{Seqs: make([]uint64, len(entries))}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = msgID(e)
	}
	resv, err := l.dedup.reserve(ctx, ids)
	if err != nil {
		return res, err
	}
	stored := make([]uint64, len(entries))
	// Settling writes a thousand ids into a large map; the caller need not
	// wait for it, as an append of the same ids waits until it is done.
	defer func() { go resv.settle(stored) }()

	// The entries to store, with their index in the batch.
	fresh := make([]Entry, 0, len(entries))
	at := make([]int, 0, len(entries))
	for i, e := range entries {
		if it := resv.ids[i]; it.dup {
			res.Duplicates++
			res.Seqs[i] = it.pos
			continue
		}
		fresh = append(fresh, e)
		at = append(at, i)
	}
	runs := group(fresh)
	msgs := make([]*nats.Msg, len(runs))
	for r, run := range runs {
		msgs[r] = message(run)
		// Nothing of the batch is sent when one subject could break the
		// connection (limits.go).
		if err := checkSubject(msgs[r].Subject); err != nil {
			return res, err
		}
	}
	stampTrace(ctx, msgs)
	futures := make([]jetstream.PubAckFuture, len(runs))
	starts := make([]int, len(runs)) // index in fresh of each run's first entry
	for r := range runs {
		if r > 0 {
			starts[r] = starts[r-1] + len(runs[r-1])
		}
		f, err := l.js.PublishMsgAsync(msgs[r], jetstream.WithStallWait(10*time.Second))
		if err != nil {
			return res, fmt.Errorf("publish event %d: %w", at[starts[r]], err)
		}
		futures[r] = f
	}
	var firstErr error
	for r, f := range futures {
		first, n := starts[r], len(runs[r])
		select {
		case ack := <-f.Ok():
			for i := 0; i < n; i++ {
				k := at[first+i]
				res.Seqs[k] = position(ack.Sequence, i, n)
				stored[k] = res.Seqs[k]
			}
			l.raiseStored(lastPos(ack.Sequence))
			if ack.Duplicate {
				res.Duplicates += n // the same message was stored before
			} else {
				res.Accepted += n
			}
		case err := <-f.Err():
			if firstErr == nil {
				firstErr = fmt.Errorf("store event %d: %w", at[first], err)
			}
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	// A duplicate within the batch points at its original.
	for i, it := range resv.ids {
		if it.twin >= 0 {
			res.Seqs[i] = res.Seqs[it.twin]
		}
	}
	return res, firstErr
}

// Stored returns the position of the newest event this process appended
// (0 before its first append). An append acknowledged to a client is
// counted here before the acknowledgement, while the live feed that
// follows the log may not have delivered it yet: a stream opened "from
// now" starts after this position, not after the last event it saw go by.
func (l *Log) Stored() uint64 { return l.stored.Load() }

func (l *Log) raiseStored(pos uint64) {
	for {
		cur := l.stored.Load()
		if pos <= cur || l.stored.CompareAndSwap(cur, pos) {
			return
		}
	}
}

// msgID scopes the event's identity to its tenant and family, so two tenants
// (or two families) may use the same ids.
func msgID(e Entry) string {
	return e.Address.Owner + "/" + e.Address.Family + "/" + e.ID
}

// Record is one stored event.
type Record struct {
	Seq        uint64 // the event's position: its cursor (position.go)
	Address    Address
	Watchlists []string
	ReceivedAt time.Time
	Data       []byte
	// Trace is the traceparent stored with the event (trace.go), or "".
	Trace string
}

// RecordsFromMsg decodes a message delivered by a JetStream consumer into
// the events it holds (more than one for a bundle).
func RecordsFromMsg(m jetstream.Msg) ([]Record, error) {
	md, err := m.Metadata()
	if err != nil {
		return nil, err
	}
	return records(m.Subject(), m.Headers(), md.Sequence.Stream, md.Timestamp, m.Data())
}

// ErrNotFound is returned when a requested event does not exist (or no
// longer exists because of retention).
var ErrNotFound = errors.New("not found")

// Get returns the event at position pos.
func (l *Log) Get(ctx context.Context, pos uint64) (Record, error) {
	m, err := l.stream.GetMsg(ctx, msgSeq(pos))
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return Record{}, ErrNotFound
		}
		return Record{}, err
	}
	recs, err := records(m.Subject, m.Header, m.Sequence, m.Time, m.Data)
	if err != nil {
		return Record{}, ErrNotFound
	}
	for _, r := range recs {
		if r.Seq == pos {
			return r, nil
		}
	}
	return Record{}, ErrNotFound
}

// Last returns the newest event on a subject. A literal subject is one
// direct lookup; a wildcard subject (which direct get cannot take) is read
// through a deliver-last consumer.
func (l *Log) Last(ctx context.Context, subject string) (Record, error) {
	if strings.ContainsAny(subject, "*>") {
		var found *Record
		err := l.Read(ctx, ReadOptions{Filters: []string{subject}, last: true}, func(r Record) bool {
			found = &r
			return false
		})
		if err != nil {
			return Record{}, err
		}
		if found == nil {
			return Record{}, ErrNotFound
		}
		return *found, nil
	}
	if err := checkSubject(subject); err != nil {
		return Record{}, err
	}
	m, err := l.stream.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return Record{}, ErrNotFound
		}
		return Record{}, err
	}
	recs, err := records(m.Subject, m.Header, m.Sequence, m.Time, m.Data)
	if err != nil {
		return Record{}, err
	}
	return recs[len(recs)-1], nil
}

// State is a snapshot of the log's bounds.
type State struct {
	Msgs     uint64 // JetStream messages (a bundle is one)
	Bytes    uint64
	FirstSeq uint64 // the position of the oldest event
	LastSeq  uint64 // the position of the newest event; 0 when empty
}

// Lost reports whether events after position after were removed from the
// log (by retention or a purge), so that a reader resuming there misses
// some. A cursor before the first event of the first message ever written
// (message 1) loses nothing: nothing was ever removed. Nor does a cursor
// whose message is still kept, or the last event of the message just
// before the oldest kept one.
func (s State) Lost(after uint64) bool {
	first, at := msgSeq(s.FirstSeq), msgSeq(after)
	if s.Msgs == 0 || first <= 1 || at >= first {
		return false
	}
	return at+1 < first || after != lastPos(at)
}

// State returns the current bounds of the log.
func (l *Log) State(ctx context.Context) (State, error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return State{}, err
	}
	st := State{Msgs: info.State.Msgs, Bytes: info.State.Bytes, LastSeq: lastPos(info.State.LastSeq)}
	if info.State.Msgs > 0 {
		st.FirstSeq = l.firstEvent(ctx, info.State.FirstSeq)
	}
	return st, nil
}

// firstEvent returns the position of the first event of message seq: index
// 0 of a bundle, else the message's only (last) event.
func (l *Log) firstEvent(ctx context.Context, seq uint64) uint64 {
	m, err := l.stream.GetMsg(ctx, seq)
	if err == nil && m.Header.Get(headerBundle) == "" {
		return lastPos(seq)
	}
	// A bundle, or the message just went (retention): nothing before
	// this position is left either way.
	return firstPos(seq)
}

// Stream exposes the underlying stream to packages that create their own
// consumers (the hub's live feed, webhook dispatchers).
func (l *Log) Stream() jetstream.Stream { return l.stream }
