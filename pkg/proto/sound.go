package proto

import "encoding/json"

// Typed sound events (docs/sources.md#sound-event; the elements of a composite's events[], also ingested
// on their own as family "sound"). Field order and names are the source's. Times are
// strings: payloads travel as written, and ParseTime reads them when needed.

// SoundEvent is one edge audio detection.
type SoundEvent struct {
	ID                  string      `json:"id"`
	Confidence          float64     `json:"confidence,omitempty"`
	ConfidenceThreshold float64     `json:"confidence_threshold,omitempty"`
	SoundLevel          float64     `json:"sound_level,omitempty"`
	SoundLevelThreshold float64     `json:"sound_level_threshold,omitempty"`
	Description         string      `json:"description,omitempty"`
	AudioFile           *AudioFile  `json:"audio_file,omitempty"`
	IsRead              bool        `json:"is_read"`
	ReadAt              *string     `json:"read_at"` // null until read
	CreatedAt           string      `json:"created_at"`
	UpdatedAt           string      `json:"updated_at,omitempty"`
	LabelID             string      `json:"label_id"`
	MicID               string      `json:"mic_id"`
	Label               *Label      `json:"label,omitempty"`
	Microphone          *Microphone `json:"microphone,omitempty"`

	// Extra holds members this type does not know, and empty values of omitempty fields,
	// so that re-encoding loses nothing (see the package's extra.go).
	Extra map[string]json.RawMessage `json:"-"`
}

// AudioFile locates the recording of a sound event on the edge box.
type AudioFile struct {
	FilePath string `json:"file_path"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Label is a sound class.
type Label struct {
	ID     string    `json:"id"`
	Name   LabelName `json:"name"`
	Active bool      `json:"active"`

	Extra map[string]json.RawMessage `json:"-"`
}

// LabelName is a label's display name per language.
type LabelName struct {
	Ko string `json:"ko"`
	En string `json:"en"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Microphone is an edge microphone as embedded in a sound event or listed in a composite's
// mics[] (which adds EdgeStatus).
type Microphone struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Host           string          `json:"host"`
	SubnetMask     string          `json:"subnet_mask"`
	MACAddress     string          `json:"mac_address"`
	MicrophoneType string          `json:"microphone_type"`
	Channel        *DeviceAccess   `json:"channel"`
	Console        *DeviceAccess   `json:"console"`
	Streaming      bool            `json:"streaming"`
	Recording      bool            `json:"recording"`
	EdgeID         *string         `json:"edge_id,omitempty"` // routing's agent id; may be absent or null
	Location       *Location       `json:"location,omitempty"`
	Status         string          `json:"status"`
	Thresholds     json.RawMessage `json:"thresholds,omitempty"` // shape not documented ({} in the example)
	CreatedAt      string          `json:"created_at"`
	UpdatedAt      string          `json:"updated_at"`
	DeletedAt      *string         `json:"deleted_at"`
	ReportedAt     *string         `json:"reported_at"`
	Connected      bool            `json:"connected"`
	EdgeStatus     string          `json:"edge_status,omitempty"` // only in a composite's mics[]

	Extra map[string]json.RawMessage `json:"-"`
}

// DeviceAccess is how to reach one service of a microphone (its stream channel or its web
// console). Username and Password are null when not set; operators may redact Password.
type DeviceAccess struct {
	Scheme   string  `json:"scheme"`
	Port     int     `json:"port"`
	Path     string  `json:"path"`
	Username *string `json:"username"`
	Password *string `json:"password"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Location is a microphone's position (WGS 84 degrees).
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`

	Extra map[string]json.RawMessage `json:"-"`
}

// DecodeSound decodes one sound event. It checks types, not the presence of required
// fields: Extract does that on ingest.
func DecodeSound(data []byte) (*SoundEvent, error) { return decode[SoundEvent]("sound", data) }

func (v *SoundEvent) UnmarshalJSON(b []byte) error { return unmarshalObject(b, v) }
func (v SoundEvent) MarshalJSON() ([]byte, error)  { return marshalObject(&v) }
func (v *AudioFile) UnmarshalJSON(b []byte) error  { return unmarshalObject(b, v) }
func (v AudioFile) MarshalJSON() ([]byte, error)   { return marshalObject(&v) }
func (v *Label) UnmarshalJSON(b []byte) error      { return unmarshalObject(b, v) }
func (v Label) MarshalJSON() ([]byte, error)       { return marshalObject(&v) }
func (v *LabelName) UnmarshalJSON(b []byte) error  { return unmarshalObject(b, v) }
func (v LabelName) MarshalJSON() ([]byte, error)   { return marshalObject(&v) }
func (v *Microphone) UnmarshalJSON(b []byte) error { return unmarshalObject(b, v) }
func (v Microphone) MarshalJSON() ([]byte, error)  { return marshalObject(&v) }
func (v *DeviceAccess) UnmarshalJSON(b []byte) error {
	return unmarshalObject(b, v)
}
func (v DeviceAccess) MarshalJSON() ([]byte, error) { return marshalObject(&v) }
func (v *Location) UnmarshalJSON(b []byte) error    { return unmarshalObject(b, v) }
func (v Location) MarshalJSON() ([]byte, error)     { return marshalObject(&v) }
