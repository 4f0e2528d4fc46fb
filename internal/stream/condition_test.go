package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// TestEndpointWebSocketConditionsAndOperational: the endpoint WebSocket
// applies payload conditions, passes operational events only through a
// filter naming their type, and never those about the endpoint itself.
func TestEndpointWebSocketConditionsAndOperational(t *testing.T) {
	e := start(t)
	w := e.NewKey("acme", proto.ScopeEventsWrite)
	ctx := context.Background()
	now := time.Now().UTC()
	servertest.WebSocketEndpoint(t, e.eps, "ep1", "acme")
	for _, f := range []proto.EventFilter{
		{ID: "f1", Owner: "acme", EndpointID: "ep1", Where: `family == "sound" && event.confidence >= 0.8 && event.label_id.startsWith("glass")`},
		{ID: "f2", Owner: "acme", EndpointID: "ep1", EventTypes: []string{proto.OpEndpointDisabled}},
	} {
		f.CreatedAt, f.UpdatedAt = now, now
		if err := e.eps.Store().FilterSet.Create(ctx, f.ID, f); err != nil {
			t.Fatal(err)
		}
	}
	c := dialWS(t, wsURL(e.Harness, "/event-service/ws?endpoint_id=ep1"), "")

	sound := func(id string, conf float64, label string) string {
		return fmt.Sprintf(`{"id":%q,"created_at":"2026-03-26T09:00:00Z","label_id":%q,"mic_id":"mic_1","confidence":%g}`, id, label, conf)
	}
	op := func(id, typ, endpointID string) store.Entry {
		data, _ := json.Marshal(proto.OperationalEvent{ID: id, Type: typ, EndpointID: endpointID, OccurredAt: now})
		return store.Entry{Address: store.Address{Family: string(proto.FamilyOperational), Owner: "acme", DeviceID: endpointID, EventType: typ}, ID: id, Data: data}
	}
	e.Do("POST", "/api/v1/events/sound", w, "", sound("s1", 0.5, "glass_break"))
	e.Do("POST", "/api/v1/events/sound", w, "", sound("s2", 0.9, "dog_bark"))
	if _, err := e.Server.Log().Append(ctx, []store.Entry{
		op("o1", proto.OpEndpointDisabled, "ep1"),    // about itself: never
		op("o2", proto.OpEndpointRecovered, "other"), // a type no filter names
		op("o3", proto.OpEndpointDisabled, "other"),
	}); err != nil {
		t.Fatal(err)
	}
	e.Do("POST", "/api/v1/events/sound", w, "", sound("s3", 0.9, "glass_break"))

	var ids []string
	for range 2 {
		var got struct{ ID string }
		_ = json.Unmarshal([]byte(nextEvent(t, c)), &got)
		ids = append(ids, got.ID)
	}
	if fmt.Sprint(ids) != "[o3 s3]" {
		t.Fatalf("got %v, want [o3 s3]", ids)
	}
}
