package composite

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// rebuildMargin is read back beyond the longest window, cooldown and
// lateness: events are selected by the time the log received them, which
// trails their created_at by the edge's upload delay.
const rebuildMargin = time.Minute

// rebuild restores the engine's open windows after a (re)start by reading
// back the recent log, and returns the sequence from which to follow.
//
//  1. The stored composites of the horizon are handed to Engine.Restore:
//     their events are not used again by their rule (even when part of
//     their window lies before the horizon) and their groups' cooldowns
//     resume. Their ids are remembered.
//  2. The sound events of the horizon are replayed through the engine in
//     log order. Composites it derives that are already stored (same rule,
//     same events, hence same id) are skipped; others — derived before a
//     crash but never stored — are stored now.
//
// Only the read range depends on the wall clock; the engine still sees only
// event time. Composites are also stored with their id as de-duplication
// identity, so a repeat that slipped through would be acknowledged as a
// duplicate within storage.dedup_window.
func (s *Service) rebuild(ctx context.Context) (next uint64, err error) {
	st, err := s.elog.State(ctx)
	if err != nil {
		return 0, err
	}
	last := st.LastSeq
	horizon, enabled := s.horizon()
	if !enabled {
		return last + 1, nil
	}
	since := time.Now().Add(-horizon)
	start := time.Now()

	stored := map[string]bool{}
	compositeSubject := store.Filter{Family: string(proto.FamilyComposite)}.Subject()
	err = s.elog.Read(ctx, store.ReadOptions{Filters: []string{compositeSubject}, StartTime: since}, func(rec store.Record) bool {
		if c, ok := restoredFrom(rec); ok {
			stored[rec.Address.DeviceID] = true
			s.mu.Lock()
			s.engine.Restore(c)
			s.mu.Unlock()
		}
		return true
	})
	if err != nil {
		return 0, err
	}

	replayed, rederived := 0, 0
	err = s.elog.Read(ctx, store.ReadOptions{Filters: []string{soundSubject}, StartTime: since}, func(rec store.Record) bool {
		last = max(last, rec.Seq)
		ev, err := FromRecord(rec)
		if err != nil {
			return true
		}
		ev.Received = rec.ReceivedAt.UnixNano()
		replayed++
		s.mu.Lock()
		ems := s.engine.Add(rec.Address.Owner, ev)
		s.mu.Unlock()
		for _, em := range ems {
			if !stored[em.ID] {
				rederived++
				s.publish(em)
			}
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	s.log.Info("composite windows rebuilt from the log", "horizon", horizon, "sound_events", replayed,
		"stored_composites", len(stored), "composites_stored_now", rederived, "took", time.Since(start).Round(time.Millisecond))
	return last + 1, nil
}

// horizon is how far back rebuild reads: the longest window plus cooldown
// of any enabled rule, plus the allowed lateness and a margin. enabled is false
// when no rule is enabled (nothing to rebuild).
func (s *Service) horizon() (h time.Duration, enabled bool) {
	for _, r := range s.rules.List() {
		if !r.Enabled {
			continue
		}
		enabled = true
		h = max(h, time.Duration(r.WindowSeconds+r.CooldownSeconds)*time.Second)
	}
	return h + s.cfg.Composite.AllowedLateness + rebuildMargin, enabled
}

// restoredFrom reads back a composite this engine derived (by its id
// prefix): its rule, group and events.
func restoredFrom(rec store.Record) (Restored, bool) {
	if !strings.HasPrefix(rec.Address.DeviceID, IDPrefix) {
		return Restored{}, false // relayed from elsewhere, not ours
	}
	var c struct {
		Rule struct {
			ID      string `json:"id"`
			GroupBy string `json:"group_by"`
		} `json:"rule"`
		Events []json.RawMessage `json:"events"`
	}
	if json.Unmarshal(rec.Data, &c) != nil || len(c.Events) == 0 {
		return Restored{}, false
	}
	out := Restored{Owner: rec.Address.Owner, RuleID: c.Rule.ID}
	for _, raw := range c.Events {
		ev, err := FromRecord(store.Record{Data: raw})
		if err != nil {
			return Restored{}, false
		}
		out.Events = append(out.Events, ev)
	}
	r := compile(proto.Rule{GroupBy: c.Rule.GroupBy})
	out.GroupValue = r.groupValue(out.Events[0])
	return out, true
}
