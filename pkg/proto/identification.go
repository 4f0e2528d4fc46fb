package proto

import "encoding/json"

// Identification is one face identification event (docs/sources.md#identification-event), as pushed to websocket
// and webhook endpoints. Candidates' profile groups are the watchlists event filters
// select on.
type Identification struct {
	Type       string              `json:"type"` // "identification"
	ActivityID string              `json:"activity_id"`
	Camera     Camera              `json:"camera"`
	Candidates []Candidate         `json:"candidates"`
	Event      IdentificationEvent `json:"event"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Camera is the camera that saw the face; AgentID is the edge agent it is attached to.
type Camera struct {
	ID       string  `json:"id"`
	Type     string  `json:"type"`
	Title    string  `json:"title"`
	Stream   string  `json:"stream"`
	RealName *string `json:"real_name"`
	AgentID  *string `json:"agent_id"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Candidate is one profile the face matched, with the watchlists (profile groups) it is on.
type Candidate struct {
	Profile       *Profile       `json:"profile"` // null when the profile was deleted meanwhile
	ProfileGroups []ProfileGroup `json:"profile_groups"`
	Confidence    float64        `json:"confidence"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Profile is a known person.
type Profile struct {
	ID           string `json:"id"`
	Age          int    `json:"age"`
	Gender       string `json:"gender"`
	AvatarID     string `json:"avatar_id"`
	MainSampleID string `json:"main_sample_id"`
	SampleLink   string `json:"sample_link"`

	Extra map[string]json.RawMessage `json:"-"`
}

// ProfileGroup is a watchlist.
type ProfileGroup struct {
	ID    string `json:"id"`
	Color string `json:"color"`

	Extra map[string]json.RawMessage `json:"-"`
}

// IdentificationEvent is the detection itself. DetectionDate is written as in the document
// ("2024-05-29 10:48:27.364000+00:00"); ParseTime reads it.
type IdentificationEvent struct {
	ID                string `json:"id"`
	DetectionDate     string `json:"detection_date"`
	Image             string `json:"image"`
	OriginalImage     string `json:"original_image"`
	ImageLink         string `json:"image_link"`
	OriginalImageLink string `json:"original_image_link"`

	Extra map[string]json.RawMessage `json:"-"`
}

// DecodeIdentification decodes one identification event. It checks types, not the
// presence of required fields: Extract does that on ingest.
func DecodeIdentification(data []byte) (*Identification, error) {
	return decode[Identification]("identification", data)
}

func (v *Identification) UnmarshalJSON(b []byte) error { return unmarshalObject(b, v) }
func (v Identification) MarshalJSON() ([]byte, error)  { return marshalObject(&v) }
func (v *Camera) UnmarshalJSON(b []byte) error         { return unmarshalObject(b, v) }
func (v Camera) MarshalJSON() ([]byte, error)          { return marshalObject(&v) }
func (v *Candidate) UnmarshalJSON(b []byte) error      { return unmarshalObject(b, v) }
func (v Candidate) MarshalJSON() ([]byte, error)       { return marshalObject(&v) }
func (v *Profile) UnmarshalJSON(b []byte) error        { return unmarshalObject(b, v) }
func (v Profile) MarshalJSON() ([]byte, error)         { return marshalObject(&v) }
func (v *ProfileGroup) UnmarshalJSON(b []byte) error   { return unmarshalObject(b, v) }
func (v ProfileGroup) MarshalJSON() ([]byte, error)    { return marshalObject(&v) }
func (v *IdentificationEvent) UnmarshalJSON(b []byte) error {
	return unmarshalObject(b, v)
}
func (v IdentificationEvent) MarshalJSON() ([]byte, error) { return marshalObject(&v) }
