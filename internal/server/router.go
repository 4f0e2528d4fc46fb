package server

import (
	"fmt"
	"net/http"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// router builds the HTTP handler from the route table: authentication and
// scopes per route, JSON 404/405 for everything else, CORS
// (server.cors.allowed_origins) and access logs.
func (s *Server) router(g *generation) (http.Handler, error) {
	mux := http.NewServeMux()
	for _, rt := range s.routes(g) {
		h := rt.Handler
		if !rt.Public {
			h = g.keys.Require(rt.QueryToken, rt.Scopes...)(h)
		}
		if err := register(mux, rt.Method+" "+rt.Pattern, h); err != nil {
			return nil, err
		}
	}
	fallback := func(w http.ResponseWriter, r *http.Request) {
		// ServeMux would answer 404/405 in plain text; the contract wants
		// the JSON error body everywhere.
		if allowed := allowedMethods(mux, r); len(allowed) > 0 {
			w.Header()["Allow"] = allowed
			httpapi.WriteError(w, httpapi.Errorf(http.StatusMethodNotAllowed, proto.CodeMethodNotAllowed,
				"%s is not allowed on %s.", r.Method, r.URL.Path))
			return
		}
		httpapi.WriteError(w, httpapi.Errorf(http.StatusNotFound, proto.CodeNotFound, "No route for %s %s.", r.Method, r.URL.Path))
	}
	mux.HandleFunc("/", fallback)
	// CORS comes before authentication, so that preflights need no token,
	// and before Strict, so that a page can read the error of a refused query.
	return httpapi.AccessLog(s.log, s.cors.Handler(httpapi.Strict(mux))), nil
}

func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("route %q: %v", pattern, r)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// allowedMethods lists the methods that would match r's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			out = append(out, m)
		}
	}
	return out
}
