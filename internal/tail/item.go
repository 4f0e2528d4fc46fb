package tail

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

// Item is one event received from a source.
type Item struct {
	// Seq numbers items in arrival order within one tail run, from 1.
	Seq        uint64
	ReceivedAt time.Time
	Source     string
	// Family is "" when the payload matches no family's shape.
	Family proto.Family
	// Cursor is the resume position the source gave with the event: the SSE
	// id, or the composite id on the composite WebSocket; "" otherwise.
	Cursor string
	// Event is the payload as received, on one line.
	Event json.RawMessage
	// Routing holds the event's routing attributes (device, agent, type,
	// time) when the payload is valid for its family; zero otherwise.
	Routing proto.Routing
}

// newItem builds an item from a received payload. family may be "", in
// which case it is inferred from the payload's shape.
func newItem(source string, family proto.Family, cursor string, data []byte, at time.Time) Item {
	ev := data
	if bytes.ContainsAny(ev, "\r\n") {
		// Servers of the contract send one line per event; other servers
		// may not, and NDJSON (stdout, --record) needs one.
		ev = proto.AppendCompact(nil, ev)
	}
	if family == "" {
		family = InferFamily(ev)
	}
	it := Item{ReceivedAt: at, Source: source, Family: family, Cursor: cursor, Event: ev}
	if family == proto.FamilyOperational {
		var op proto.OperationalEvent
		if json.Unmarshal(ev, &op) == nil {
			it.Routing = proto.Routing{Family: proto.FamilyOperational, ID: op.ID, DeviceID: op.EndpointID, EventType: op.Type, Time: op.OccurredAt}
		}
	} else if family != "" {
		if r, errs := proto.Extract(family, ev); len(errs) == 0 {
			it.Routing = r
		}
	}
	if family == proto.FamilyComposite && it.Cursor == "" {
		it.Cursor = it.Routing.ID
	}
	return it
}

// InferFamily tells the family of a payload from its top-level fields, for
// sources that mix families (the endpoint WebSocket) or are unknown URLs:
//
//	"type":"identification"         → identification (docs/sources.md#identification-event)
//	"deviceId" and "analysisId"     → analysis (docs/sources.md#analysis-result)
//	"group_key" and "rule"          → composite (docs/sources.md#composite-payload)
//	"label_id" and "mic_id"         → sound (docs/sources.md#sound-event)
//	"endpoint_id" and an operational "type" → operational (docs/webhooks.md#operational-events)
//
// It returns "" when none matches or the payload is not a JSON object.
func InferFamily(data []byte) proto.Family {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return ""
	}
	has := func(k string) bool { _, ok := top[k]; return ok }
	if t, ok := top["type"]; ok && string(t) == `"identification"` {
		return proto.FamilyIdentification
	}
	if t, ok := top["type"]; ok && has("endpoint_id") {
		var typ string
		if json.Unmarshal(t, &typ) == nil && slices.Contains(proto.OperationalTypes(), typ) {
			return proto.FamilyOperational
		}
	}
	switch {
	case has("deviceId") && has("analysisId"):
		return proto.FamilyAnalysis
	case has("group_key") && has("rule"):
		return proto.FamilyComposite
	case has("label_id") && has("mic_id"):
		return proto.FamilySound
	}
	return ""
}
