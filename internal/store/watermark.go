package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DamageFile is the file, in the data directory, where the gateway keeps
// what it last saw of each stream (its watermarks) and every loss it found.
//
// JetStream alone does not make damage visible: when a block file is
// damaged, the file store rebuilds the stream from what it can still read
// and, in the common case of a damaged last block, truncates it without
// reporting the messages as lost (measured with nats-server 2.15.2: 1,000
// messages, 4 KiB overwritten in the middle of the only block, 519 gone,
// StreamInfo.State.Lost empty). What it does report (State.Lost) is gone
// after the next restart. The gateway therefore remembers each stream's
// last sequence and counts any sequence that went missing since as lost,
// and keeps the losses here until an operator acknowledges them
// (`evtctl data check --ack`).
const DamageFile = "storage-check.json"

// Watermark is what was last seen of one stream.
type Watermark struct {
	FirstSeq uint64    `json:"first_seq"`
	LastSeq  uint64    `json:"last_seq"`
	Messages uint64    `json:"messages"`
	Bytes    uint64    `json:"bytes"`
	SeenAt   time.Time `json:"seen_at"`
}

// DamageRecord is the content of DamageFile.
type DamageRecord struct {
	Streams map[string]Watermark `json:"streams"`
	// Losses not acknowledged yet, oldest first.
	Losses []Loss `json:"losses,omitempty"`
}

// Checker finds lost data in evtctl's streams: losses JetStream reports,
// and sequences that went missing since the watermarks of the last check
// (of this process, or, with a data directory, of an earlier one). It is
// safe for concurrent use.
type Checker struct {
	js   jetstream.JetStream
	path string // "" = keep watermarks in memory only (external NATS)

	mu     sync.Mutex
	rec    DamageRecord
	loaded bool
	saved  time.Time
}

// NewChecker returns a checker of the streams reachable through js. With
// dataDir, watermarks and losses persist in dataDir/DamageFile.
func NewChecker(js jetstream.JetStream, dataDir string) *Checker {
	c := &Checker{js: js}
	if dataDir != "" {
		c.path = filepath.Join(dataDir, DamageFile)
	}
	return c
}

// SetJetStream points the checker at a new connection (the gateway
// rebuilds its connection after NATS closed it for good).
func (c *Checker) SetJetStream(js jetstream.JetStream) {
	c.mu.Lock()
	c.js = js
	c.mu.Unlock()
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	Streams []StreamReport
	// New holds the losses found by this check; Losses every loss not
	// acknowledged yet (New included).
	New    []Loss
	Losses []Loss
}

// Check reads the state of every stream (one stream-list request),
// compares it with the watermarks, records new losses and the new
// watermarks. The file is rewritten only when a loss is found or at most
// every saveEvery, so a check every few seconds costs no disk write.
func (c *Checker) Check(ctx context.Context) (CheckResult, error) {
	c.mu.Lock()
	js := c.js
	c.mu.Unlock()
	reps, err := CheckStreams(ctx, js)
	if err != nil {
		return CheckResult{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		if c.rec, err = ReadDamageRecord(c.path); err != nil {
			return CheckResult{}, err
		}
		c.loaded = true
	}
	now := time.Now().UTC()
	var res CheckResult
	res.Streams = reps
	for i, r := range reps {
		loss := r.Lost
		if wm, ok := c.rec.Streams[r.Stream]; ok && r.LastSeq < wm.LastSeq {
			// The stream ends before where it ended: everything after
			// the new end that retention had not removed yet is gone.
			// (Retention removes from the front; nothing but damage or a
			// purge moves the last sequence back.)
			from := max(r.LastSeq, wm.FirstSeq-1) + 1
			mine := Loss{Stream: r.Stream, Messages: int(wm.LastSeq - from + 1), FirstSeq: from, LastSeq: wm.LastSeq, DetectedAt: now}
			if wm.Bytes > r.Bytes {
				mine.Bytes = wm.Bytes - r.Bytes
			}
			if loss == nil || mine.Messages > loss.Messages {
				loss = &mine
			}
		}
		if loss != nil {
			reps[i].Lost = loss
			res.New = append(res.New, *loss)
			c.rec.Losses = append(c.rec.Losses, *loss)
		}
		if c.rec.Streams == nil {
			c.rec.Streams = map[string]Watermark{}
		}
		c.rec.Streams[r.Stream] = Watermark{FirstSeq: r.FirstSeq, LastSeq: r.LastSeq, Messages: r.Messages, Bytes: r.Bytes, SeenAt: now}
	}
	res.Losses = append([]Loss(nil), c.rec.Losses...)
	if len(res.New) > 0 || now.Sub(c.saved) >= saveEvery {
		if err := c.saveLocked(); err != nil {
			return res, err
		}
		c.saved = now
	}
	return res, nil
}

// saveEvery bounds how often unchanged-but-advanced watermarks are written.
const saveEvery = 5 * time.Second

// Save writes the watermarks now (at shutdown, so the next start compares
// with the very last state).
func (c *Checker) Save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		return nil
	}
	return c.saveLocked()
}

// Acknowledge forgets the recorded losses (the operator has seen them).
func (c *Checker) Acknowledge() ([]Loss, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		var err error
		if c.rec, err = ReadDamageRecord(c.path); err != nil {
			return nil, err
		}
		c.loaded = true
	}
	acked := c.rec.Losses
	c.rec.Losses = nil
	return acked, c.saveLocked()
}

func (c *Checker) saveLocked() error {
	if c.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(c.rec, "", "  ")
	if err != nil {
		return err
	}
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("record storage state: %w", err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		return fmt.Errorf("record storage state: %w", err)
	}
	return nil
}

// ReadDamageRecord reads a DamageFile; a missing file (or path "") is an
// empty record.
func ReadDamageRecord(path string) (DamageRecord, error) {
	var rec DamageRecord
	if path == "" {
		return rec, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return rec, nil
	}
	if err != nil {
		return rec, fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		// A damaged record must not stop the gateway: start over, the
		// streams themselves are the truth.
		return DamageRecord{}, nil
	}
	return rec, nil
}
