package endpoint

import (
	"context"
	"sync"
	"time"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/filter"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/webhook/ssrf"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Service is the endpoints component: it holds the Store, serves the
// endpoints and event-filters API (docs/contract.md#management), and answers the stream and
// webhook packages' lookups from memory.
type Service struct {
	st     *Store
	grace  time.Duration // webhooks.secret_grace
	ssrf   *ssrf.Guard   // webhooks.allow_cidrs, for the webhook URL check
	limits config.Limits // per-tenant quotas (quota.go)
	// createMu serialises the quota check and the write of creates on this
	// node, so that two at once cannot both take the last slot.
	createMu sync.Mutex
}

// New builds the endpoints component: it opens the Store (endpoints and
// filters, read into memory). hooks gives the secret grace and the CIDRs a
// webhook URL may use; limits the per-tenant quotas.
func New(ctx context.Context, env component.Env, hooks config.Webhooks, limits config.Limits) (*Service, error) {
	guard, err := ssrf.New(hooks.AllowCIDRs)
	if err != nil {
		return nil, err
	}
	st, err := Open(ctx, env.JS, env.Storage.Replicas)
	if err != nil {
		return nil, err
	}
	return &Service{st: st, grace: hooks.SecretGrace, ssrf: guard, limits: limits}, nil
}

// Name implements component.Component.
func (s *Service) Name() string { return "endpoints" }

// Stop implements component.Component: the Store's watchers end.
func (s *Service) Stop(context.Context) { s.st.Close() }

// Routes implements component.Component.
func (s *Service) Routes() []component.Route {
	admin := []string{proto.ScopeAdmin}
	h := httpapi.Handle
	return []component.Route{
		{Method: "POST", Pattern: "/api/v1/endpoints", Scopes: admin, Summary: "Create an endpoint (websocket or webhook); webhooks get a whsec_ signing secret.", Handler: h(s.createEndpoint)},
		{Method: "GET", Pattern: "/api/v1/endpoints", Scopes: admin, Summary: "List endpoints (?id=, ?type=, ?sort=, ?limit=, ?page_token=).", Handler: h(s.listEndpoints)},
		{Method: "GET", Pattern: "/api/v1/endpoints/{id}", Scopes: admin, Summary: "Get an endpoint.", Handler: h(s.getEndpoint)},
		{Method: "PATCH", Pattern: "/api/v1/endpoints/{id}", Scopes: admin, Summary: "Change an endpoint's name, url, secret or enabled flag.", Handler: h(s.updateEndpoint)},
		{Method: "DELETE", Pattern: "/api/v1/endpoints/{id}", Scopes: admin, Summary: "Delete an endpoint with its filters.", Handler: h(s.deleteEndpoint)},
		{Method: "GET", Pattern: "/api/v1/endpoints/{id}/secret", Scopes: admin, Summary: "Get a webhook endpoint's signing secret.", Handler: h(s.getSecret)},
		{Method: "POST", Pattern: "/api/v1/endpoints/{id}/rotate-secret", Scopes: admin, Summary: "Rotate a webhook's signing secret; the old one keeps signing for webhooks.secret_grace.", Handler: h(s.rotateSecret)},

		{Method: "POST", Pattern: "/api/v1/event-filters", Scopes: admin, Summary: "Create an event filter for an endpoint.", Handler: h(s.createFilter)},
		{Method: "GET", Pattern: "/api/v1/event-filters", Scopes: admin, Summary: "List event filters (?id=, ?endpoint_id=, ?sort=, ?limit=, ?page_token=).", Handler: h(s.listFilters)},
		{Method: "GET", Pattern: "/api/v1/event-filters/{id}", Scopes: admin, Summary: "Get an event filter.", Handler: h(s.getFilter)},
		{Method: "PATCH", Pattern: "/api/v1/event-filters/{id}", Scopes: admin, Summary: "Change an event filter.", Handler: h(s.updateFilter)},
		{Method: "DELETE", Pattern: "/api/v1/event-filters/{id}", Scopes: admin, Summary: "Delete an event filter.", Handler: h(s.deleteFilter)},
	}
}

// Store returns the store.
func (s *Service) Store() *Store { return s.st }

// Endpoint returns an endpoint by id.
func (s *Service) Endpoint(id string) (proto.Endpoint, bool) { return s.st.Endpoint(id) }

// Filters returns an endpoint's filters.
func (s *Service) Filters(endpointID string) []proto.EventFilter { return s.st.Filters(endpointID) }

// Matcher returns an endpoint's filters compiled for matching.
func (s *Service) Matcher(endpointID string) *filter.Set { return s.st.Matcher(endpointID) }

// OnChange registers fn for endpoint and filter changes.
func (s *Service) OnChange(fn func(endpointID string)) { s.st.OnChange(fn) }

// Endpoints returns every endpoint.
func (s *Service) Endpoints() []proto.Endpoint { return s.st.EndpointSet.List() }

// SigningSecrets returns the secrets that sign a webhook endpoint's
// deliveries at now (two during a rotation's grace period).
func (s *Service) SigningSecrets(id string, now time.Time) []string {
	return s.st.SigningSecrets(id, now)
}

// Disable disables an endpoint, recording why.
func (s *Service) Disable(ctx context.Context, id, reason string) error {
	return s.st.Disable(ctx, id, reason)
}
