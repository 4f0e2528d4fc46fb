package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

// MaxLine is the longest line accepted: the gateway's default body limit.
const MaxLine = 16 << 20

// Record is one event of a recording.
type Record struct {
	File   string
	Line   int
	Family proto.Family
	// At is when the event was received (the recording's received_at), or
	// for raw event lines the event's own time; zero when unknown.
	At    time.Time
	Event json.RawMessage
}

// LineError is a bad line, with where it is.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// envelopeKeys are the fields of the two recording formats:
// tail --record {"received_at","source","family","cursor","event"} and
// events query -o json {"cursor","family","owner","received_at","event"}.
var envelopeKeys = map[string]bool{"received_at": true, "source": true, "family": true, "cursor": true, "owner": true, "event": true}

// Reader reads records from one NDJSON stream.
type Reader struct {
	file   string
	family proto.Family // for raw event lines; "" = they are an error
	sc     *bufio.Scanner
	line   int
}

// NewReader reads r, naming it file in errors. family is the family of raw
// event lines (lines that are an event, not a recording envelope); recording
// lines carry their own family, which wins.
func NewReader(r io.Reader, file string, family proto.Family) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	return &Reader{file: file, family: family, sc: sc}
}

// Next returns the next record, io.EOF at the end, or a *LineError. Blank
// lines are skipped (they are not events).
func (r *Reader) Next() (Record, error) {
	for r.sc.Scan() {
		r.line++
		line := bytes.TrimSpace(r.sc.Bytes())
		if len(line) == 0 {
			continue
		}
		rec, err := r.parse(line)
		if err != nil {
			return Record{}, &LineError{File: r.file, Line: r.line, Err: err}
		}
		return rec, nil
	}
	if err := r.sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return Record{}, &LineError{File: r.file, Line: r.line + 1, Err: fmt.Errorf("line longer than %d MiB", MaxLine>>20)}
		}
		return Record{}, fmt.Errorf("%s: %w", r.file, err)
	}
	return Record{}, io.EOF
}

func (r *Reader) parse(line []byte) (Record, error) {
	rec := Record{File: r.file, Line: r.line}
	// A line without an "event" key cannot be a recording envelope: it is
	// a raw event, and decoding it into a map first (most of replay's CPU
	// time) would tell nothing more. Lines that are not valid JSON objects
	// take the full path for its error messages.
	if !bytes.Contains(line, []byte(`"event"`)) && line[0] == '{' && json.Valid(line) {
		rec.Event = append(json.RawMessage(nil), line...)
		return r.route(rec)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(line, &top); err != nil {
		if json.Valid(line) {
			return Record{}, fmt.Errorf("not a JSON object")
		}
		return Record{}, fmt.Errorf("not valid JSON: %v", err)
	}
	if isEnvelope(top) {
		rec.Event = append(json.RawMessage(nil), bytes.TrimSpace(top["event"])...)
		if len(rec.Event) == 0 || rec.Event[0] != '{' {
			return Record{}, fmt.Errorf("event: not a JSON object")
		}
		if raw, ok := top["family"]; ok {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return Record{}, fmt.Errorf("family: not a string")
			}
			if s != "" {
				f, err := proto.ParseFamily(s)
				if err != nil {
					return Record{}, err
				}
				rec.Family = f
			}
		}
		if raw, ok := top["received_at"]; ok {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return Record{}, fmt.Errorf("received_at: not a string")
			}
			t, err := proto.ParseTime(s)
			if err != nil {
				return Record{}, fmt.Errorf("received_at: %v", err)
			}
			rec.At = t
		}
	} else {
		rec.Event = append(json.RawMessage(nil), line...)
	}
	return r.route(rec)
}

// route completes rec with its family and time and validates the event.
func (r *Reader) route(rec Record) (Record, error) {
	if rec.Family == "" {
		rec.Family = r.family
	}
	if rec.Family == "" {
		return Record{}, fmt.Errorf("the family of this event is unknown: pass --family (sound, analysis, identification or composite)")
	}
	routing, errs := proto.Extract(rec.Family, rec.Event)
	if len(errs) > 0 {
		var parts []string
		for _, e := range errs {
			parts = append(parts, e.Field+": "+e.Reason)
		}
		return Record{}, fmt.Errorf("not a valid %s event: %s", rec.Family, strings.Join(parts, "; "))
	}
	if rec.At.IsZero() {
		rec.At = routing.Time
	}
	return rec, nil
}

// isEnvelope tells a recording line from a raw event: it has "event" and
// every field is one of the recording formats'. (An identification event
// has an "event" field too, but also "type", "camera", ….)
func isEnvelope(top map[string]json.RawMessage) bool {
	if _, ok := top["event"]; !ok || len(top) < 2 {
		return false
	}
	for k := range top {
		if !envelopeKeys[k] {
			return false
		}
	}
	return true
}
