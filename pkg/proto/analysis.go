package proto

import "encoding/json"

// AnalysisResult is one video analysis result (docs/sources.md#analysis-result:the data line of an SSE
// analysis_result event). Its member names are camelCase, as in the source.
type AnalysisResult struct {
	DeviceID   string      `json:"deviceId"`
	AnalysisID string      `json:"analysisId"`
	SceneID    string      `json:"sceneId,omitempty"`
	Timestamp  string      `json:"timestamp"` // ISO 8601, as written
	Detections []Detection `json:"detections"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Detection is one detected person or object. BoundingBox and Attributes are optional and
// their shapes are not documented (attributes only exist on the "level_02" plan), so they
// stay raw.
type Detection struct {
	Type        string          `json:"type"`       // "person", "object"
	Confidence  float64         `json:"confidence"` // 0–1
	BoundingBox json.RawMessage `json:"boundingBox,omitempty"`
	Attributes  json.RawMessage `json:"attributes,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// DecodeAnalysis decodes one analysis result. It checks types, not the presence of
// required fields: Extract does that on ingest.
func DecodeAnalysis(data []byte) (*AnalysisResult, error) {
	return decode[AnalysisResult]("analysis", data)
}

func (v *AnalysisResult) UnmarshalJSON(b []byte) error { return unmarshalObject(b, v) }
func (v AnalysisResult) MarshalJSON() ([]byte, error)  { return marshalObject(&v) }
func (v *Detection) UnmarshalJSON(b []byte) error      { return unmarshalObject(b, v) }
func (v Detection) MarshalJSON() ([]byte, error)       { return marshalObject(&v) }
