package proto

import (
	"encoding/json"
	"time"
)

// Management resources of docs/contract.md#management. They are plain structs: the server owns their shape,
// so unlike the event types they do not keep unknown fields. List-valued fields marshal as
// [] rather than null, so clients in any language can iterate them without a nil check.

// Endpoint types.
const (
	EndpointWebSocket = "websocket" // consumed at /event-service/ws?endpoint_id=<id>
	EndpointWebhook   = "webhook"   // each event POSTed to URL, signed with Secret
)

// Endpoint is a push destination for events (docs/sources.md#identification-endpoints).
type Endpoint struct {
	ID             string `json:"id"`
	Owner          string `json:"owner"`
	Name           string `json:"name"`
	Type           string `json:"type"` // EndpointWebSocket or EndpointWebhook
	URL            string `json:"url,omitempty"`
	Secret         string `json:"secret,omitempty"` // webhook signing secret, "whsec_…"
	Enabled        bool   `json:"enabled"`
	DisabledReason string `json:"disabled_reason,omitempty"` // e.g. why the dispatcher disabled it (410 Gone, failing too long)
	// RateLimit (deliveries per second) and Concurrency (requests in
	// flight) of a webhook endpoint override the node's webhooks.rate_limit
	// and webhooks.concurrency; 0 keeps the node's.
	RateLimit   float64 `json:"rate_limit,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	// Headers are added to every request of a webhook endpoint.
	Headers map[string]string `json:"headers,omitempty"`
	// FailingSince is set by the gateway once every delivery of the
	// endpoint has failed for a while (30 s): the first of those failures.
	FailingSince *time.Time `json:"failing_since,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// EventFilter selects the events an endpoint receives. Within a field any value matches;
// across fields all must match; an empty field is no constraint.
type EventFilter struct {
	ID           string   `json:"id"`
	Owner        string   `json:"owner"`
	Name         string   `json:"name"`
	EndpointID   string   `json:"endpoint_id"`
	DeviceIDs    []string `json:"device_ids"`
	AgentIDs     []string `json:"agent_ids"`
	WatchlistIDs []string `json:"watchlist_ids"`
	EventTypes   []string `json:"event_types"`
	// Where is an optional payload condition (a CEL expression over
	// event, family and type; docs/endpoints.md#payload-conditions) that
	// must also hold.
	Where     string    `json:"where,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MarshalJSON writes nil lists as [].
func (f EventFilter) MarshalJSON() ([]byte, error) {
	type plain EventFilter // no methods: avoids recursing into MarshalJSON
	p := plain(f)
	p.DeviceIDs = nonNil(p.DeviceIDs)
	p.AgentIDs = nonNil(p.AgentIDs)
	p.WatchlistIDs = nonNil(p.WatchlistIDs)
	p.EventTypes = nonNil(p.EventTypes)
	return json.Marshal(p)
}

// Values of Rule.GroupBy (and CompositeRule.GroupBy): which attribute of a sound event
// splits the rule's windows into groups.
const (
	GroupByLabel = "label_id"
	GroupByMic   = "mic_id"
	GroupByEdge  = "edge_id"
)

// Rule is a composite rule (docs/sources.md#rule-object, plus ownership and timestamps).
type Rule struct {
	ID              string   `json:"id"`
	Owner           string   `json:"owner"`
	Name            string   `json:"name"`
	Description     string   `json:"description"`
	WindowSeconds   int      `json:"window_seconds"`
	MinEvents       int      `json:"min_events"`
	Enabled         bool     `json:"enabled"`
	GroupBy         string   `json:"group_by"`
	IncludeLabelIDs []string `json:"include_label_ids"`
	IncludeMicIDs   []string `json:"include_mic_ids"`
	// CooldownSeconds suppresses a new composite of the same group for this long after one
	// was emitted; 0 means none. Not in the source's rule object, hence omitted when unset.
	CooldownSeconds int       `json:"cooldown_seconds,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// CountingSince is when the rule's current definition started counting
	// events: its creation, or the last change that reset its windows (any
	// change but name and description, including enabling). Set by the
	// gateway; events received before it are never used by the rule, also
	// when a restart rebuilds the windows from the log.
	CountingSince time.Time `json:"counting_since,omitzero"`
}

// MarshalJSON writes nil lists as [].
func (r Rule) MarshalJSON() ([]byte, error) {
	type plain Rule
	p := plain(r)
	p.IncludeLabelIDs = nonNil(p.IncludeLabelIDs)
	p.IncludeMicIDs = nonNil(p.IncludeMicIDs)
	return json.Marshal(p)
}

// API key scopes (docs/contract.md#auth). ScopeAdmin implies all others.
const (
	ScopeAdmin         = "admin"
	ScopeEventsWrite   = "events:write"
	ScopeEventsRead    = "events:read"
	ScopeDeviceRead    = "device:read"
	ScopeAnalyticsRead = "analytics:read"
)

// Scopes returns every scope in a fixed order; a new slice each time.
func Scopes() []string {
	return []string{ScopeAdmin, ScopeEventsWrite, ScopeEventsRead, ScopeDeviceRead, ScopeAnalyticsRead}
}

// APIKey is an API key as the management API shows it. The secret token is only ever
// returned by the creating request: the server stores a hash.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Owner     string     `json:"owner"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Token     string     `json:"token,omitempty"`
}

// MarshalJSON writes nil scopes as [].
func (k APIKey) MarshalJSON() ([]byte, error) {
	type plain APIKey
	p := plain(k)
	p.Scopes = nonNil(p.Scopes)
	return json.Marshal(p)
}

// List is one page of a management list response.
type List[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"next_page_token,omitempty"` // absent on the last page
}

// MarshalJSON writes nil items as [].
func (l List[T]) MarshalJSON() ([]byte, error) {
	type plain List[T]
	p := plain(l)
	p.Items = nonNil(p.Items)
	return json.Marshal(p)
}

// EventRecord is one recorded event as GET /api/v1/events returns it. Event is the payload
// exactly as ingested (compacted to one line).
type EventRecord struct {
	Cursor     string          `json:"cursor"`
	Family     Family          `json:"family"`
	Owner      string          `json:"owner"`
	ReceivedAt time.Time       `json:"received_at"`
	Event      json.RawMessage `json:"event"`
}

// EventPage is one page of GET /api/v1/events. NextCursor, when set, is the value for the
// next request's after parameter.
type EventPage struct {
	Items      []EventRecord `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// MarshalJSON writes nil items as [].
func (p EventPage) MarshalJSON() ([]byte, error) {
	type plain EventPage
	q := plain(p)
	q.Items = nonNil(q.Items)
	return json.Marshal(q)
}

// IngestResult is the 202 body of POST /api/v1/events/{family}.
type IngestResult struct {
	Accepted   int `json:"accepted"`   // events newly stored
	Duplicates int `json:"duplicates"` // events whose identity was already stored
}

// nonNil returns s, or an empty slice when s is nil, so that it marshals as [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
