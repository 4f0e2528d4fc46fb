package proto

import "time"

// Delivery statuses.
const (
	DeliveryPending   = "pending"   // not yet succeeded; NextAttemptAt says when it is tried again
	DeliverySucceeded = "succeeded" // the receiver answered 2xx
	DeliveryFailed    = "failed"    // every attempt of the retry schedule failed, or the receiver answered 410
)

// Delivery triggers: what started the delivery's current run of attempts.
const (
	TriggerLive   = "live"   // the event arrived while the endpoint was enabled
	TriggerRetry  = "retry"  // POST /api/v1/endpoints/{id}/deliveries/{delivery_id}/retry
	TriggerReplay = "replay" // POST /api/v1/endpoints/{id}/replay
)

// Delivery is the state of one event's delivery to one webhook endpoint, as
// GET /api/v1/endpoints/{id}/deliveries shows it. ID is the event's cursor,
// so a delivery is named by (endpoint, event).
type Delivery struct {
	ID         string `json:"id"`
	EndpointID string `json:"endpoint_id"`
	// WebhookID is the webhook-id header: the same on every attempt, retry and
	// replay of this event to this endpoint, so receivers can de-duplicate.
	WebhookID string `json:"webhook_id"`
	Family    string `json:"family"`
	EventType string `json:"event_type"`
	Status    string `json:"status"`
	Trigger   string `json:"trigger"`
	// Attempts counts every attempt ever made, across retries and replays.
	Attempts int `json:"attempts"`
	// ResponseStatus is the HTTP status of the last attempt; 0 when it got no
	// response (connection refused, timeout, blocked target, open breaker).
	ResponseStatus int     `json:"response_status"`
	LatencyMS      float64 `json:"latency_ms"` // duration of the last attempt
	Error          string  `json:"error,omitempty"`
	// Exhausted is set on a failed delivery whose retry schedule ran out
	// (not one the receiver ended with 410 or whose event expired).
	Exhausted bool `json:"exhausted,omitempty"`
	// ReceivedAt is when the gateway received the event.
	ReceivedAt    time.Time  `json:"received_at"`
	LastAttemptAt *time.Time `json:"last_attempt_at,omitempty"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
}

// ReplayRequest is the body of POST /api/v1/endpoints/{id}/replay: events
// received in [Since, Until) are delivered again. Until defaults to now.
type ReplayRequest struct {
	Since string `json:"since"`
	Until string `json:"until,omitempty"`
}

// Statuses a bulk retry selects: every failed delivery, or those whose
// retries ran out.
const (
	RetryFailed    = "failed"
	RetryExhausted = "exhausted"
)

// RetryRequest is the body of POST /api/v1/endpoints/{id}/retry: every
// delivery with Status whose last attempt was in [Since, Until) starts a new
// run of attempts. Status defaults to failed, Until to now.
type RetryRequest struct {
	Status string `json:"status,omitempty"`
	Since  string `json:"since"`
	Until  string `json:"until,omitempty"`
}

// ReplayResult is the 202 body of a replay (and of a bulk retry).
type ReplayResult struct {
	Queued int    `json:"queued"` // events (replay: that passed the endpoint's filters; retry: whose deliveries matched) queued
	RunID  string `json:"run_id"`
}
