package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// JetStream error codes that mean "no room to store this".
const (
	errCodeInsufficientResources    = 10023 // server or account storage limit reached
	errCodeStorageResourcesExceeded = 10047
	errCodeStoreFailed              = 10077 // the store refused: a stream limit with discard new, or a write error
)

// FullError says why storage refused to store: a limit was reached, not a
// fault of the request. Ingest answers it with 507.
type FullError struct {
	Reason string // a sentence fragment naming the limit
	Err    error
}

func (e *FullError) Error() string { return "storage is full: " + e.Reason + ": " + e.Err.Error() }
func (e *FullError) Unwrap() error { return e.Err }

// AsFull recognises JetStream's answers for a full store: the JetStream
// storage limit of the server or account ("insufficient resources"), a
// stream's own byte or message limit with discard-new, and a disk that is
// really out of space. It returns nil for any other error.
func AsFull(err error) *FullError {
	if err == nil {
		return nil
	}
	var fe *FullError
	if errors.As(err, &fe) {
		return fe
	}
	var api *jetstream.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case errCodeInsufficientResources, errCodeStorageResourcesExceeded:
			return &FullError{Reason: "the JetStream storage limit is reached (insufficient resources)", Err: err}
		case errCodeStoreFailed:
			d := strings.ToLower(api.Description)
			switch {
			case strings.Contains(d, "maximum bytes"), strings.Contains(d, "maximum messages"):
				return &FullError{Reason: "the stream's size limit is reached (" + api.Description + ")", Err: err}
			case strings.Contains(d, "no space left"):
				return &FullError{Reason: "the disk is full (" + api.Description + ")", Err: err}
			}
		}
	}
	if s := err.Error(); strings.Contains(s, "no space left on device") {
		return &FullError{Reason: "the disk is full", Err: err}
	}
	return nil
}

// FullState tracks whether storage is refusing writes for lack of room.
// Appends report their outcome (Observe); with an embedded server, Probe
// compares its storage use with its limit, so the state also clears when
// retention or an operator frees room while nobody ingests. Safe for
// concurrent use.
type FullState struct {
	mu     sync.Mutex
	full   *FullError
	since  time.Time
	onFlip func(full bool, reason string)
}

// NewFullState returns a tracker; onFlip (may be nil) is called, outside
// any lock of the tracker, each time the state changes.
func NewFullState(onFlip func(full bool, reason string)) *FullState {
	return &FullState{onFlip: onFlip}
}

// Observe records the outcome of a write: a FullError marks storage full,
// a success clears it; other errors say nothing about room.
func (f *FullState) Observe(err error) {
	if f == nil {
		return
	}
	if err == nil {
		f.set(nil)
		return
	}
	if fe := AsFull(err); fe != nil {
		f.set(fe)
	}
}

// Full returns the reason storage is full and since when, or ok false.
func (f *FullState) Full() (reason string, since time.Time, ok bool) {
	if f == nil {
		return "", time.Time{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.full == nil {
		return "", time.Time{}, false
	}
	return f.full.Reason, f.since, true
}

func (f *FullState) set(fe *FullError) {
	f.mu.Lock()
	was := f.full != nil
	if fe == nil {
		f.full = nil
	} else {
		if !was {
			f.since = time.Now()
		}
		f.full = fe
	}
	now := f.full != nil
	f.mu.Unlock()
	if was != now && f.onFlip != nil {
		reason := ""
		if fe != nil {
			reason = fe.Reason
		}
		f.onFlip(now, reason)
	}
}

// Probe checks an embedded server's storage use against its JetStream
// storage limit (storage.max_store): at or above it, storage is full;
// below it, a full state left by a refused write clears (room was freed:
// retention removed old events, or the limit was raised). A store that is
// within its limit may still refuse a write, which Observe then records.
func (f *FullState) Probe(ns *server.Server) {
	if f == nil || ns == nil {
		return
	}
	used, limit, ok := EmbeddedStorageUse(ns)
	if !ok {
		return
	}
	if limit > 0 && used > limit {
		f.set(&FullError{Reason: "the JetStream storage limit is reached (insufficient resources)",
			Err: fmt.Errorf("%d of %d bytes used", used, limit)})
		return
	}
	// Clear only a limit-caused state; a stream limit or a disk that is
	// full clears with the next write that succeeds.
	f.mu.Lock()
	limitCaused := f.full != nil && strings.Contains(f.full.Reason, "insufficient resources")
	f.mu.Unlock()
	if limitCaused && (limit <= 0 || used <= limit) {
		f.set(nil)
	}
}

// EmbeddedStorageUse is the file storage an embedded JetStream uses and its
// limit (the configured storage.max_store, or what the server chose from
// the free disk space at start).
func EmbeddedStorageUse(ns *server.Server) (used, limit int64, ok bool) {
	if ns == nil || !ns.JetStreamEnabled() {
		return 0, 0, false
	}
	info, err := ns.Jsz(&server.JSzOptions{})
	if err != nil || info == nil {
		return 0, 0, false
	}
	return int64(info.Store), info.Config.MaxStore, true
}
