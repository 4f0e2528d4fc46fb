package server

import (
	"context"
	"time"

	"github.com/evtctl/evtctl/internal/store"
)

// watchEdgeSources restarts stalled edge sources each second (see
// store.SourceRestarter), so that a cloud copies an edge within a second
// or two of it becoming reachable instead of after NATS's retry backoff.
func (s *Server) watchEdgeSources(ctx context.Context) {
	var r *store.SourceRestarter
	var rlog *store.Log
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l := s.Log()
		if l == nil {
			continue // a rebuild is under way
		}
		if l != rlog { // a new generation: a new log handle
			r, rlog = store.NewSourceRestarter(l), l
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		restarted, err := r.Check(cctx, s.cfg.Storage.EdgeSources)
		cancel()
		for _, edge := range restarted {
			s.metrics.EdgeSourceRestarts.WithLabelValues(edge).Inc()
			s.log.Info("edge source restarted: it had stalled while the edge answered", "edge", edge)
		}
		if err != nil && ctx.Err() == nil {
			s.log.Debug("edge source check failed", "err", err)
		}
	}
}
