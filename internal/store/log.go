package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
}

// Log is the durable, ordered event log. Its sequence numbers are the
// cursors clients see.
type Log struct {
	js     jetstream.JetStream
	stream jetstream.Stream
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
	return &Log{js: js, stream: s}, nil
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
	// Seqs holds the stream sequence of every entry, in order (for a
	// duplicate: the sequence of the original).
	Seqs []uint64
}

// Append stores a batch and returns once JetStream has acknowledged every
// entry as stored (or as a duplicate of a stored one). On error some entries
// may have been stored; a retry of the same batch is safe because entries
// are de-duplicated by ID.
func (l *Log) Append(ctx context.Context, entries []Entry) (AppendResult, error) {
	res := AppendResult{Seqs: make([]uint64, len(entries))}
	futures := make([]jetstream.PubAckFuture, len(entries))
	for i, e := range entries {
		msg := &nats.Msg{Subject: e.Address.Subject(), Data: e.Data, Header: nats.Header{}}
		msg.Header[headerMsgID] = []string{msgID(e)}
		if len(e.Watchlists) > 0 {
			msg.Header[headerWatchlists] = []string{strings.Join(e.Watchlists, ",")}
		}
		f, err := l.js.PublishMsgAsync(msg, jetstream.WithStallWait(10*time.Second))
		if err != nil {
			return res, fmt.Errorf("publish event %d: %w", i, err)
		}
		futures[i] = f
	}
	var firstErr error
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			res.Seqs[i] = ack.Sequence
			if ack.Duplicate {
				res.Duplicates++
			} else {
				res.Accepted++
			}
		case err := <-f.Err():
			if firstErr == nil {
				firstErr = fmt.Errorf("store event %d: %w", i, err)
			}
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	return res, firstErr
}

// msgID scopes the event's identity to its tenant and family, so two tenants
// (or two families) may use the same ids.
func msgID(e Entry) string {
	return e.Address.Owner + "/" + e.Address.Family + "/" + e.ID
}

// Record is one stored event.
type Record struct {
	Seq        uint64
	Address    Address
	Watchlists []string
	ReceivedAt time.Time
	Data       []byte
}

func recordFrom(subject string, hdr nats.Header, seq uint64, ts time.Time, data []byte) (Record, error) {
	addr, err := ParseSubject(subject)
	if err != nil {
		return Record{}, err
	}
	r := Record{Seq: seq, Address: addr, ReceivedAt: ts, Data: data}
	if w := hdr.Get(headerWatchlists); w != "" {
		r.Watchlists = strings.Split(w, ",")
	}
	return r, nil
}

// RecordFromMsg decodes a message delivered by a JetStream consumer.
func RecordFromMsg(m jetstream.Msg) (Record, error) {
	md, err := m.Metadata()
	if err != nil {
		return Record{}, err
	}
	return recordFrom(m.Subject(), m.Headers(), md.Sequence.Stream, md.Timestamp, m.Data())
}

// ErrNotFound is returned when a requested event does not exist (or no
// longer exists because of retention).
var ErrNotFound = errors.New("not found")

// Get returns the event at seq.
func (l *Log) Get(ctx context.Context, seq uint64) (Record, error) {
	m, err := l.stream.GetMsg(ctx, seq)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return Record{}, ErrNotFound
		}
		return Record{}, err
	}
	return recordFrom(m.Subject, m.Header, m.Sequence, m.Time, m.Data)
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
	m, err := l.stream.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return Record{}, ErrNotFound
		}
		return Record{}, err
	}
	return recordFrom(m.Subject, m.Header, m.Sequence, m.Time, m.Data)
}

// State is a snapshot of the log's bounds.
type State struct {
	Msgs     uint64
	Bytes    uint64
	FirstSeq uint64
	LastSeq  uint64
}

// State returns the current bounds of the log.
func (l *Log) State(ctx context.Context) (State, error) {
	info, err := l.stream.Info(ctx)
	if err != nil {
		return State{}, err
	}
	return State{Msgs: info.State.Msgs, Bytes: info.State.Bytes, FirstSeq: info.State.FirstSeq, LastSeq: info.State.LastSeq}, nil
}

// Stream exposes the underlying stream to packages that create their own
// consumers (the hub's live feed, webhook dispatchers).
func (l *Log) Stream() jetstream.Stream { return l.stream }
