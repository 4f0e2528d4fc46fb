package tail

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

// RecordLine is one line of a recording (`evtctl tail --record`), the
// format `evtctl replay` reads:
//
//	{"received_at":"…","source":"composites","family":"composite","cursor":"…","event":{…}}
//
// event is the payload exactly as received.
type RecordLine struct {
	ReceivedAt time.Time       `json:"received_at"`
	Source     string          `json:"source"`
	Family     proto.Family    `json:"family,omitempty"`
	Cursor     string          `json:"cursor,omitempty"`
	Event      json.RawMessage `json:"event"`
}

// Recorder writes items as NDJSON recording lines. It buffers: call Flush
// when the input pauses and before closing. It is not safe for concurrent use.
type Recorder struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewRecorder writes to w.
func NewRecorder(w io.Writer) *Recorder {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // keep the payload's "<", ">" and "&" as received
	return &Recorder{w: bw, enc: enc}
}

// Write appends one item. The payload goes in as received: a payload that
// is not JSON (a foreign server) is recorded as a JSON string, so the line
// stays valid.
func (r *Recorder) Write(it Item) error {
	ev := it.Event
	if !json.Valid(ev) {
		ev, _ = json.Marshal(string(ev))
	}
	return r.enc.Encode(RecordLine{ReceivedAt: it.ReceivedAt.UTC(), Source: it.Source, Family: it.Family, Cursor: it.Cursor, Event: ev})
}

// Flush writes buffered lines out.
func (r *Recorder) Flush() error { return r.w.Flush() }

// WriteLine writes the payload alone as one line: the non-terminal output
// of `evtctl tail`.
func WriteLine(w io.Writer, it Item) error {
	ev := it.Event
	if !json.Valid(ev) {
		ev, _ = json.Marshal(string(ev))
	}
	var buf bytes.Buffer
	buf.Grow(len(ev) + 1)
	buf.Write(ev)
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
