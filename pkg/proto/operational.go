package proto

import (
	"fmt"
	"time"
)

// FamilyOperational holds the gateway's own events about a tenant's
// endpoints and deliveries (docs/webhooks.md#operational-events). They are
// appended by the gateway, never ingested: POST /api/v1/events/operational
// is refused, while queries, streams and webhooks carry them like any
// other family.
const FamilyOperational Family = "operational"

// Types of operational events.
const (
	OpEndpointDisabled  = "endpoint.disabled"  // the gateway (or an operator) disabled an endpoint
	OpEndpointEnabled   = "endpoint.enabled"   // an endpoint was enabled again
	OpEndpointRecovered = "endpoint.recovered" // first successful delivery after the endpoint was marked failing
	OpDeliveryExhausted = "delivery.exhausted" // a delivery used up its retries
)

// OperationalTypes returns every operational event type in a fixed order.
func OperationalTypes() []string {
	return []string{OpEndpointDisabled, OpEndpointEnabled, OpEndpointRecovered, OpDeliveryExhausted}
}

// OperationalEvent is the payload of an operational event. ID is derived
// from the transition it reports, so the same transition seen twice (two
// nodes, a retried append) is stored once.
type OperationalEvent struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	EndpointID string    `json:"endpoint_id"`
	OccurredAt time.Time `json:"occurred_at"`
	// Reason says why an endpoint was disabled or a delivery failed.
	Reason string `json:"reason,omitempty"`
	// FailingSince is when the failures an endpoint.disabled (automatic)
	// or endpoint.recovered event ends began.
	FailingSince *time.Time `json:"failing_since,omitempty"`
	// DeliveryID, Attempts, EventFamily and EventType describe the
	// delivery of a delivery.exhausted event.
	DeliveryID  string `json:"delivery_id,omitempty"`
	Attempts    int    `json:"attempts,omitempty"`
	EventFamily Family `json:"event_family,omitempty"`
	EventType   string `json:"event_type,omitempty"`
}

// RecordedFamilies returns every family an event in the log may have: the
// ingested ones and operational.
func RecordedFamilies() []Family { return append(Families(), FamilyOperational) }

// ParseRecordedFamily is ParseFamily for the families of the log (queries
// and streams), which include operational.
func ParseRecordedFamily(s string) (Family, error) {
	if Family(s) == FamilyOperational {
		return FamilyOperational, nil
	}
	if f, err := ParseFamily(s); err == nil {
		return f, nil
	}
	return "", fmt.Errorf("unknown event family %q (want sound, analysis, identification, composite or operational)", s)
}
