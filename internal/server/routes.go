package server

import (
	"net/http"

	"github.com/evtctl/evtctl/internal/openapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Route is one HTTP route of the gateway. The table is the single list of
// what the server serves: the router, the OpenAPI document and its test are
// all built from it.
type Route struct {
	Method  string
	Pattern string // net/http pattern path, e.g. /api/v1/keys/{id}
	// Scopes the caller needs (any of); nil with Public unset means any
	// authenticated key.
	Scopes []string
	// Public routes need no token (health, metrics, the endpoint WebSocket
	// which authenticates by endpoint_id).
	Public bool
	// QueryToken lets browsers pass ?access_token= (stream routes only).
	QueryToken bool
	Summary    string
	Handler    http.Handler
}

// routes returns the route table of s on generation g.
func (s *Server) routes(g *generation) []Route {
	admin := []string{proto.ScopeAdmin}
	rs := []Route{
		{Method: "GET", Pattern: "/healthz", Public: true, Summary: "Liveness: the process is up.", Handler: http.HandlerFunc(s.healthz)},
		{Method: "GET", Pattern: "/readyz", Public: true, Summary: "Readiness: storage answers and every component started.", Handler: http.HandlerFunc(s.readyz)},
		{Method: "GET", Pattern: "/metrics", Public: true, Summary: "Prometheus metrics.", Handler: s.metricsHandler()},
		{Method: "GET", Pattern: "/api/v1/openapi.json", Public: true, Summary: "This API's OpenAPI 3.1 document.", Handler: openapi.Handler()},

		{Method: "POST", Pattern: "/api/v1/events/{family}", Scopes: []string{proto.ScopeEventsWrite}, Summary: "Ingest events of a family (object, array or NDJSON).", Handler: g.ingest},
		{Method: "GET", Pattern: "/api/v1/events", Scopes: []string{proto.ScopeEventsRead}, Summary: "Query recorded events.", Handler: g.query.Events()},
		{Method: "GET", Pattern: "/api/v1/composite-events", Scopes: []string{proto.ScopeEventsRead}, Summary: "List composite events.", Handler: g.query.Composites()},
		{Method: "GET", Pattern: "/api/v1/composite-events/{id}", Scopes: []string{proto.ScopeEventsRead}, Summary: "Get one composite event.", Handler: g.query.Composite()},

		{Method: "POST", Pattern: "/api/v1/keys", Scopes: admin, Summary: "Create an API key (the token is shown once).", Handler: g.keys.CreateHandler(s.cfg.Server.MaxBodyBytes, s.cfg.Limits.KeysPerTenant)},
		{Method: "GET", Pattern: "/api/v1/keys", Scopes: admin, Summary: "List API keys.", Handler: g.keys.ListHandler()},
		{Method: "GET", Pattern: "/api/v1/keys/{id}", Scopes: admin, Summary: "Get an API key.", Handler: g.keys.GetHandler()},
		{Method: "DELETE", Pattern: "/api/v1/keys/{id}", Scopes: admin, Summary: "Revoke an API key; its streams close within a second.", Handler: g.keys.RevokeHandler()},
	}
	for _, ext := range g.exts {
		rs = append(rs, ext.Routes()...)
	}
	return rs
}

// Routes exposes the route table of the current generation (for the
// OpenAPI document and its test); nil while a rebuild is under way.
func (s *Server) Routes() []Route {
	if g := s.gen.Load(); g != nil {
		return s.routes(g)
	}
	return nil
}
