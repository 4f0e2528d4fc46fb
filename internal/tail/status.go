package tail

import (
	"fmt"
	"time"
)

// StatusKind is what happened to a source's connection.
type StatusKind int

// Status kinds, in the order a healthy connection goes through them.
const (
	Connecting   StatusKind = iota // dialling (first time or again)
	Connected                      // handshake done (HTTP 200 / WebSocket upgrade)
	Hello                          // the composite WebSocket's "hello" arrived
	KeepAlive                      // an empty WebSocket message or an SSE comment
	Disconnected                   // the connection ended; a retry follows after RetryIn
	Gap                            // the server could not resume exactly (Note says why)
	Failed                         // permanent error (Err); the source has stopped
)

func (k StatusKind) String() string {
	switch k {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Hello:
		return "hello"
	case KeepAlive:
		return "keep-alive"
	case Disconnected:
		return "disconnected"
	case Gap:
		return "gap"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Status is one change of a source's connection.
type Status struct {
	Source string
	Kind   StatusKind
	At     time.Time
	// Err is why a connection ended (Disconnected, Failed).
	Err error
	// RetryIn is the wait before the next attempt (Disconnected).
	RetryIn time.Duration
	// Resume is the cursor the next connection resumes after ("" = live only).
	Resume string
	// Note is a human sentence (Gap).
	Note string
}

// String renders the status as one line for stderr, without the time.
func (s Status) String() string {
	switch s.Kind {
	case Connecting:
		if s.Resume != "" {
			return fmt.Sprintf("%s: connecting (resuming after %s)", s.Source, s.Resume)
		}
		return s.Source + ": connecting"
	case Disconnected:
		return fmt.Sprintf("%s: disconnected (%v); reconnecting in %s", s.Source, s.Err, s.RetryIn.Round(100*time.Millisecond))
	case Failed:
		return fmt.Sprintf("%s: failed: %v", s.Source, s.Err)
	case Gap:
		return fmt.Sprintf("%s: gap: %s", s.Source, s.Note)
	}
	return s.Source + ": " + s.Kind.String()
}
