package auth

import (
	"context"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/pkg/proto"
)

// API is the keys component: the /api/v1/keys resource over a generation's
// Keys. The keys themselves are opened and closed by the server, whose
// router authenticates every request with them.
type API struct {
	keys        *Keys
	maxBody     int64
	maxPerOwner int
}

// NewAPI builds the keys component: request bodies up to maxBody bytes
// (server.max_body_bytes), at most maxPerOwner keys per owner
// (limits.keys_per_tenant; 0 = unlimited).
func NewAPI(keys *Keys, maxBody int64, maxPerOwner int) *API {
	return &API{keys: keys, maxBody: maxBody, maxPerOwner: maxPerOwner}
}

// Name implements component.Component.
func (a *API) Name() string { return "keys" }

// Routes implements component.Component.
func (a *API) Routes() []component.Route {
	admin := []string{proto.ScopeAdmin}
	k := a.keys
	return []component.Route{
		{Method: "POST", Pattern: "/api/v1/keys", Scopes: admin, Summary: "Create an API key (the token is shown once).", Handler: k.CreateHandler(a.maxBody, a.maxPerOwner)},
		{Method: "GET", Pattern: "/api/v1/keys", Scopes: admin, Summary: "List API keys.", Handler: k.ListHandler()},
		{Method: "GET", Pattern: "/api/v1/keys/{id}", Scopes: admin, Summary: "Get an API key.", Handler: k.GetHandler()},
		{Method: "DELETE", Pattern: "/api/v1/keys/{id}", Scopes: admin, Summary: "Revoke an API key; its streams close within a second.", Handler: k.RevokeHandler()},
	}
}

// Stop implements component.Component; the server closes the keys after
// the last request.
func (a *API) Stop(context.Context) {}
