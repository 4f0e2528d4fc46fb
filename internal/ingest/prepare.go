package ingest

import (
	"runtime"
	"strconv"
	"sync"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// compactChunk is the size of the buffers that records needing compaction
// are copied into: about 50 seed sound events each.
const compactChunk = 64 << 10

// parallelFrom is the number of records each validating goroutine gets at
// least: a batch is split into len/parallelFrom parts, at most one per
// core, so validation runs in parallel from 2*parallelFrom records on.
// Below that, starting goroutines costs more than it saves.
const parallelFrom = 256

// prepare validates every record and turns the valid ones into log
// entries. A request is all-or-nothing, so once a record fails only
// problems are collected. Large batches are split over the cores: a
// client sending one batch at a time otherwise waits for one core to
// validate while the other is idle.
// maxEvent bounds the compact JSON of one event (store.Log.MaxEventBytes).
func prepare(fam proto.Family, owner string, records [][]byte, maxEvent int) ([]store.Entry, []proto.FieldError) {
	parts := min(runtime.GOMAXPROCS(0), len(records)/parallelFrom)
	if parts <= 1 {
		return prepareRange(fam, owner, records, 0, maxEvent)
	}
	type result struct {
		entries  []store.Entry
		problems []proto.FieldError
	}
	results := make([]result, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*len(records)/parts, (p+1)*len(records)/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[p].entries, results[p].problems = prepareRange(fam, owner, records[lo:hi], lo, maxEvent)
		}()
	}
	wg.Wait()
	var problems []proto.FieldError
	for _, r := range results {
		problems = append(problems, r.problems...)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	entries := make([]store.Entry, 0, len(records))
	for _, r := range results {
		entries = append(entries, r.entries...)
	}
	return entries, nil
}

// prepareRange is prepare for records numbered from base.
func prepareRange(fam proto.Family, owner string, records [][]byte, base, maxEvent int) ([]store.Entry, []proto.FieldError) {
	var problems []proto.FieldError
	entries := make([]store.Entry, 0, len(records))
	// Records already on one line (the common case for machine senders)
	// are published straight from the request buffer: NATS copies them
	// into its write buffer during Append, before buf is reused. Others
	// are compacted into shared chunks; a full chunk is left to the
	// records that point into it and a new one started, so nothing is
	// copied twice.
	var data []byte
	for i, rec := range records {
		rt, errs := proto.Extract(fam, rec)
		if len(errs) > 0 {
			for _, e := range errs {
				e.Index = base + i
				problems = append(problems, e)
			}
			continue
		}
		if len(problems) > 0 {
			continue // already failing: only collect problems
		}
		payload := rec
		if proto.HasSpace(rec) {
			if cap(data)-len(data) < len(rec) {
				data = make([]byte, 0, max(len(rec), compactChunk))
			}
			off := len(data)
			data = proto.AppendCompact(data, rec)
			payload = data[off:len(data):len(data)]
		}
		if len(payload) > maxEvent {
			problems = append(problems, proto.FieldError{Index: base + i,
				Reason: "is " + strconv.Itoa(len(payload)) + " bytes of compact JSON; one event may take at most " + strconv.Itoa(maxEvent)})
			continue
		}
		addr := store.Address{
			Family:    string(fam),
			Owner:     owner,
			DeviceID:  rt.DeviceID,
			AgentID:   rt.AgentID,
			EventType: rt.EventType,
		}
		if fam == proto.FamilyComposite {
			// A relayed composite is filed like one derived here, so that
			// it can be fetched and resumed after by its id.
			addr = store.CompositeAddress(owner, rt.ID)
		}
		entries = append(entries, store.Entry{
			Address:    addr,
			ID:         rt.ID,
			Watchlists: rt.Watchlists,
			Data:       payload,
		})
	}
	return entries, problems
}
