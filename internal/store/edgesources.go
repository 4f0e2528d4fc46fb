package store

import (
	"context"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Restarting stalled edge sources.
//
// After an edge was unreachable, NATS retries its source with a growing
// backoff (10 s, 20 s, … up to 2 minutes), and the retry NATS starts when
// a leaf node connects comes before the edge's JetStream domain answers
// across it, so a cloud could wait minutes to copy an edge that is back.
// A SourceRestarter notices a source that has not heard from its edge
// (not even the heartbeat JetStream sends each second) while the edge's
// JetStream does answer, and removes and re-adds that source: a re-added
// source resumes after the last event it copied, and the copies keep their
// Nats-Msg-Id, so nothing is copied twice.

const (
	// sourceStalledAfter: a flowing source hears from its edge every second.
	sourceStalledAfter = 5 * time.Second
	// sourceRestartEvery bounds the restarts of one edge whose JetStream
	// answers but whose source still fails (an edge without evtctl's log).
	sourceRestartEvery = 30 * time.Second
	// sourceReAddDelay lets the removed source's consumer go first.
	sourceReAddDelay = 500 * time.Millisecond
)

// SourceRestarter restarts the stalled edge sources of a log.
type SourceRestarter struct {
	log  *Log
	last map[string]time.Time // edge → last restart
}

// NewSourceRestarter watches the edge sources of l.
func NewSourceRestarter(l *Log) *SourceRestarter {
	return &SourceRestarter{log: l, last: map[string]time.Time{}}
}

// Check restarts the sources that are stalled although their edge answers,
// and returns the edges it restarted. It is called periodically, from one
// goroutine.
func (r *SourceRestarter) Check(ctx context.Context, edges []string) ([]string, error) {
	info, err := r.log.stream.Info(ctx)
	if err != nil {
		return nil, err
	}
	// A restart whose re-add failed left a source out: put it back first.
	cfg := info.Config
	for _, edge := range edges {
		if sourceIndex(cfg.Sources, edge) < 0 {
			cfg.Sources = append(slices.Clone(cfg.Sources), edgeSource(edge))
		}
	}
	if len(cfg.Sources) != len(info.Config.Sources) {
		_, err := r.log.js.UpdateStream(ctx, cfg)
		return nil, err
	}
	var restarted []string
	for _, edge := range edges {
		if !r.stalled(info, edge) || time.Since(r.last[edge]) < sourceRestartEvery || !r.answers(edge) {
			continue
		}
		r.last[edge] = time.Now()
		if err := r.restart(ctx, info.Config, edge); err != nil {
			return restarted, err
		}
		restarted = append(restarted, edge)
	}
	return restarted, nil
}

// edgeSource is the source of an edge's event log.
func edgeSource(edge string) *jetstream.StreamSource {
	return &jetstream.StreamSource{Name: StreamName, External: &jetstream.ExternalStream{APIPrefix: edgeAPI(edge)}}
}

// edgeAPI is the API prefix of an edge's JetStream domain.
func edgeAPI(edge string) string { return "$JS." + EdgeDomain(edge) + ".API" }

func (r *SourceRestarter) stalled(info *jetstream.StreamInfo, edge string) bool {
	for _, si := range info.Sources {
		if si.External != nil && si.External.APIPrefix == edgeAPI(edge) {
			return si.Active < 0 || si.Active > sourceStalledAfter
		}
	}
	return false // not (yet) a source of this log
}

// answers reports whether the edge's JetStream API is reachable.
func (r *SourceRestarter) answers(edge string) bool {
	_, err := r.log.js.Conn().Request(edgeAPI(edge)+".INFO", nil, time.Second)
	return err == nil
}

func sourceIndex(sources []*jetstream.StreamSource, edge string) int {
	return slices.IndexFunc(sources, func(s *jetstream.StreamSource) bool {
		return s.External != nil && s.External.APIPrefix == edgeAPI(edge)
	})
}

func (r *SourceRestarter) restart(ctx context.Context, cfg jetstream.StreamConfig, edge string) error {
	i := sourceIndex(cfg.Sources, edge)
	if i < 0 {
		return nil
	}
	src := cfg.Sources[i]
	without := cfg
	without.Sources = slices.Delete(slices.Clone(cfg.Sources), i, i+1)
	if _, err := r.log.js.UpdateStream(ctx, without); err != nil {
		return err
	}
	// Removing the source makes the server delete its consumer on the
	// edge, asynchronously; the re-added source creates one of the same
	// name, which that late delete would remove again. Give it a moment.
	select {
	case <-time.After(sourceReAddDelay):
	case <-ctx.Done():
	}
	with := without
	with.Sources = append(slices.Clone(without.Sources), src)
	_, err := r.log.js.UpdateStream(ctx, with)
	return err
}
