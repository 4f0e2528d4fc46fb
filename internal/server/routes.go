package server

import (
	"net/http"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/openapi"
)

// routes returns the route table of s on generation g: the server's own
// routes, then each component's.
func (s *Server) routes(g *generation) []component.Route {
	rs := []component.Route{
		{Method: "GET", Pattern: "/healthz", Public: true, Summary: "Liveness: the process is up.", Handler: http.HandlerFunc(s.healthz)},
		{Method: "GET", Pattern: "/readyz", Public: true, Summary: "Readiness: storage answers and every component started.", Handler: http.HandlerFunc(s.readyz)},
		{Method: "GET", Pattern: "/metrics", Public: true, Summary: "Prometheus metrics.", Handler: s.metricsHandler()},
		{Method: "GET", Pattern: "/api/v1/openapi.json", Public: true, Summary: "This API's OpenAPI 3.1 document.", Handler: openapi.Handler()},
	}
	for _, c := range g.components {
		rs = append(rs, c.Routes()...)
	}
	return rs
}

// Routes exposes the route table of the current generation (for the tests
// that compare it with the hand-written OpenAPI document); nil while a rebuild is under way.
func (s *Server) Routes() []component.Route {
	if g := s.gen.Load(); g != nil {
		return s.routes(g)
	}
	return nil
}
