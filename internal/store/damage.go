package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Loss is what JetStream reports missing from one stream: messages it
// could not read back when it rebuilt the stream's state from damaged
// files (a block file overwritten, truncated or bit-rotten). JetStream
// keeps serving the rest of the stream; the loss is only visible in the
// stream's state, and only until the server restarts, so the gateway
// records it (DamageRecord) and reports it.
type Loss struct {
	Stream   string `json:"stream"`
	Messages int    `json:"messages"`
	Bytes    uint64 `json:"bytes"`
	// FirstSeq and LastSeq are the lowest and highest JetStream message
	// sequences lost (a message of the event log may be a bundle of up to
	// 255 events: see docs/architecture.md).
	FirstSeq   uint64    `json:"first_seq"`
	LastSeq    uint64    `json:"last_seq"`
	DetectedAt time.Time `json:"detected_at"`
}

func (l Loss) String() string {
	return fmt.Sprintf("stream %s lost %d messages (%d bytes, sequences %d–%d)", l.Stream, l.Messages, l.Bytes, l.FirstSeq, l.LastSeq)
}

// StreamReport is the state of one of evtctl's streams.
type StreamReport struct {
	Stream   string `json:"stream"`
	Kind     string `json:"kind"` // what evtctl keeps in it
	Messages uint64 `json:"messages"`
	Bytes    uint64 `json:"bytes"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
	// Lost is set when JetStream reports messages it could not recover.
	Lost *Loss `json:"lost,omitempty"`
}

// CheckStreams reports the state of every stream of evtctl's (the event
// log, the KV buckets of keys and resources, the webhook records) that the
// JetStream account holds, in name order. It costs one stream-list request.
func CheckStreams(ctx context.Context, js jetstream.JetStream) ([]StreamReport, error) {
	var out []StreamReport
	now := time.Now().UTC()
	lister := js.ListStreams(ctx)
	for info := range lister.Info() {
		kind, ok := streamKind(info.Config)
		if !ok {
			continue
		}
		st := info.State
		r := StreamReport{Stream: info.Config.Name, Kind: kind, Messages: st.Msgs, Bytes: st.Bytes, FirstSeq: st.FirstSeq, LastSeq: st.LastSeq}
		if st.Lost != nil && (len(st.Lost.Msgs) > 0 || st.Lost.Bytes > 0) {
			l := &Loss{Stream: info.Config.Name, Messages: len(st.Lost.Msgs), Bytes: st.Lost.Bytes, DetectedAt: now}
			if len(st.Lost.Msgs) > 0 {
				l.FirstSeq, l.LastSeq = slices.Min(st.Lost.Msgs), slices.Max(st.Lost.Msgs)
			}
			r.Lost = l
		}
		out = append(out, r)
	}
	if err := lister.Err(); err != nil {
		return nil, fmt.Errorf("list streams: %w", err)
	}
	slices.SortFunc(out, func(a, b StreamReport) int { return strings.Compare(a.Stream, b.Stream) })
	return out, nil
}

// streamKind names what evtctl keeps in a stream, by its subjects (see
// LocalSubjects); ok is false for a stream that is not evtctl's (an
// external cluster may hold other applications' streams).
func streamKind(cfg jetstream.StreamConfig) (kind string, ok bool) {
	if cfg.Name == StreamName {
		return "event log", true
	}
	for _, s := range cfg.Subjects {
		switch {
		case strings.HasPrefix(s, "$KV.evtctl_"):
			return "bucket " + strings.TrimPrefix(cfg.Name, "KV_"), true
		case strings.HasPrefix(s, "whd."):
			return "webhook delivery records", true
		case strings.HasPrefix(s, "whr."):
			return "webhook requests", true
		case strings.HasPrefix(s, SubjectPrefix+"."):
			return "events", true
		}
	}
	return "", false
}

// Losses returns the losses of the reports.
func Losses(reports []StreamReport) []Loss {
	var out []Loss
	for _, r := range reports {
		if r.Lost != nil {
			out = append(out, *r.Lost)
		}
	}
	return out
}
