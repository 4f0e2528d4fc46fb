package proto

import "time"

// Routing holds the routing attributes of docs/contract.md#families for one event: what the gateway needs
// to de-duplicate, file, filter and order it without looking at the rest of the payload.
type Routing struct {
	Family Family
	// ID is the de-duplication identity: sound/composite: id; identification: event.id;
	// analysis: deviceId+"/"+analysisId+"/"+timestamp (timestamp as written), because an
	// analysis result has no single id and one analysis streams many results.
	ID string
	// DeviceID: sound: mic_id; analysis: deviceId; identification: camera.id; composite: "".
	DeviceID string
	// AgentID: sound: microphone.edge_id; identification: camera.agent_id; "" when absent or
	// null and for the other families.
	AgentID string
	// EventType: sound: label_id; analysis: "analysis_result"; identification: type;
	// composite: "composite".
	EventType string
	// Watchlists: identification: the distinct candidates[].profile_groups[].id in
	// first-seen order; nil otherwise.
	Watchlists []string
	// Time is the event time in UTC: sound: created_at; analysis: timestamp;
	// identification: event.detection_date; composite: started_at.
	Time time.Time
}

// Event types that are not taken from the payload.
const (
	EventTypeAnalysis  = "analysis_result" // also the SSE event name (docs/sources.md#analysis-sse)
	EventTypeComposite = "composite"
)
