package server

import (
	"context"
	"sync"
	"time"

	"github.com/evtctl/evtctl/internal/store"
)

// storageCheckEvery is how often the gateway checks its streams for lost
// data and its storage for room. A check is one stream-list request (and,
// with the embedded server, an in-process statistics call).
var storageCheckEvery = 5 * time.Second

// storageHealth is what the gateway knows about the state of its storage
// beyond "JetStream answers": data lost to damaged files, and a store too
// full to take events. /readyz reports both (the node stays in rotation:
// it still serves what it has, and taking it out would restore nothing).
type storageHealth struct {
	once    sync.Once
	full    *store.FullState
	mu      sync.Mutex
	checker *store.Checker
	losses  []store.Loss // not acknowledged yet
}

// fullState is the tracker ingest reports append outcomes to.
func (s *Server) fullState() *store.FullState {
	h := &s.storage
	h.once.Do(func() {
		h.full = store.NewFullState(func(full bool, reason string) {
			if full {
				s.metrics.StorageFull.Set(1)
				s.log.Error("storage is full: ingest is refused with 507 until room is freed (retention, storage.max_bytes, storage.max_store, disk space)", "reason", reason)
			} else {
				s.metrics.StorageFull.Set(0)
				s.log.Info("storage has room again: ingest accepted")
			}
		})
	})
	return h.full
}

// watchStorage checks the streams for lost data and the store for room at
// once, then every storageCheckEvery, and a last time when ctx ends (so
// the next start compares with the very last state).
func (s *Server) watchStorage(ctx context.Context) {
	t := time.NewTicker(storageCheckEvery)
	defer t.Stop()
	for {
		s.checkStorage(ctx)
		select {
		case <-ctx.Done():
			cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			s.checkStorage(cctx)
			cancel()
			s.storage.mu.Lock()
			if c := s.storage.checker; c != nil {
				if err := c.Save(); err != nil {
					s.log.Warn("could not record the storage state", "err", err)
				}
			}
			s.storage.mu.Unlock()
			return
		case <-t.C:
		}
	}
}

// checkStorage runs one check against the current connection.
func (s *Server) checkStorage(ctx context.Context) {
	bb := s.Backbone()
	if bb == nil {
		return
	}
	h := &s.storage
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.checker == nil {
		dir := ""
		if bb.Embedded() {
			dir = s.cfg.Storage.DataDir
		}
		h.checker = store.NewChecker(bb.JS, dir)
	}
	h.checker.SetJetStream(bb.JS)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	res, err := h.checker.Check(cctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			s.log.Debug("storage check failed", "err", err)
		}
	} else {
		for _, l := range res.New {
			s.log.Error("storage lost data: JetStream came back with less than it had (damaged files); the lost events cannot be served or delivered",
				"stream", l.Stream, "messages", l.Messages, "bytes", l.Bytes, "first_seq", l.FirstSeq, "last_seq", l.LastSeq)
		}
		if h.losses == nil && len(res.New) == 0 && len(res.Losses) > 0 {
			// Found by an earlier run (or by `evtctl data check`) and not
			// acknowledged: say it again at every start.
			for _, l := range res.Losses {
				s.log.Error("storage lost data earlier and it is not acknowledged (evtctl data check --ack)",
					"stream", l.Stream, "messages", l.Messages, "bytes", l.Bytes, "first_seq", l.FirstSeq, "last_seq", l.LastSeq, "detected_at", l.DetectedAt)
			}
		}
		h.losses = append([]store.Loss{}, res.Losses...)
		per := map[string]int{}
		for _, l := range res.Losses {
			per[l.Stream] += l.Messages
		}
		for _, r := range res.Streams {
			s.metrics.StorageLostMessages.WithLabelValues(r.Stream).Set(float64(per[r.Stream]))
		}
	}
	s.fullState().Probe(bb.EmbeddedServer())
}

// storageProblems is the storage part of the /readyz body: nil when there
// is nothing to report.
func (s *Server) storageProblems() map[string]any {
	h := &s.storage
	out := map[string]any{}
	h.mu.Lock()
	if len(h.losses) > 0 {
		out["lost"] = h.losses
	}
	h.mu.Unlock()
	if reason, since, ok := s.fullState().Full(); ok {
		out["full"] = map[string]any{"reason": reason, "since": since.UTC().Format(time.RFC3339)}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
