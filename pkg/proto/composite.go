package proto

import (
	"encoding/json"
	"fmt"
)

// Composite is a composite event (docs/sources.md#composite-payload): a group of sound events matched by a
// rule within one window. It is the payload of GET /api/v1/composite-events/{id} and of
// each WebSocket message. Events, mics and labels stay raw: the composite engine copies
// them from the ingested sound events, which must reach consumers as ingested.
type Composite struct {
	ID        string            `json:"id"`
	GroupKey  string            `json:"group_key"` // e.g. "edge-01:normal_speech_female"
	Rule      CompositeRule     `json:"rule"`
	Events    []json.RawMessage `json:"events"` // sound events
	Mics      []json.RawMessage `json:"mics"`   // microphones involved (Microphone with edge_status)
	Labels    []json.RawMessage `json:"labels"` // labels involved (Label)
	StartedAt string            `json:"started_at"`

	Extra map[string]json.RawMessage `json:"-"`
}

// CompositeRule is the rule as embedded in a composite: a snapshot at emission time.
type CompositeRule struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Description     string   `json:"description"`
	WindowSeconds   int      `json:"window_seconds"`
	MinEvents       int      `json:"min_events"`
	Enabled         bool     `json:"enabled"`
	GroupBy         string   `json:"group_by"` // GroupByLabel, GroupByMic or GroupByEdge
	IncludeLabelIDs []string `json:"include_label_ids"`
	IncludeMicIDs   []string `json:"include_mic_ids"`

	Extra map[string]json.RawMessage `json:"-"`
}

// DecodeComposite decodes one composite event. It checks types, not the presence of
// required fields: Extract does that on ingest.
func DecodeComposite(data []byte) (*Composite, error) {
	return decode[Composite]("composite", data)
}

func (v *Composite) UnmarshalJSON(b []byte) error     { return unmarshalObject(b, v) }
func (v Composite) MarshalJSON() ([]byte, error)      { return marshalObject(&v) }
func (v *CompositeRule) UnmarshalJSON(b []byte) error { return unmarshalObject(b, v) }
func (v CompositeRule) MarshalJSON() ([]byte, error)  { return marshalObject(&v) }

// decode is the shared body of the Decode functions. Unlike json.Unmarshal it rejects a
// top-level null, which would otherwise decode to an empty event without error.
func decode[T any](family string, data []byte) (*T, error) {
	r := reader{data: data}
	if r.peek() != '{' {
		if !json.Valid(data) {
			return nil, fmt.Errorf("proto: decoding %s event: invalid JSON", family)
		}
		return nil, fmt.Errorf("proto: decoding %s event: %w", family, errNotObject)
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("proto: decoding %s event: %w", family, err)
	}
	return v, nil
}
