package httpapi

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/evtctl/evtctl/pkg/proto"
)

// CORS is the policy of server.cors.allowed_origins: which web pages of
// other origins may call the API and open the SSE streams (Handler, the
// CORS headers), and open WebSockets (CheckOrigin). Requests without an
// Origin header (CLIs, servers, curl) are not concerned, and neither are
// same-origin requests (a page served through a proxy on the gateway's own
// host). A refused origin is logged once, with the setting to change.
//
// Credentials (cookies, HTTP authentication) are never allowed: the gateway
// authenticates with bearer tokens a page sends itself (the Authorization
// header, or ?access_token= on streams), so no response carries
// Access-Control-Allow-Credentials, and a page must not set
// withCredentials.
type CORS struct {
	any     bool            // "*" was listed
	allowed map[string]bool // exact origins
	log     *slog.Logger

	mu       sync.Mutex
	logged   map[string]struct{} // refused origins already logged
	overflow bool                // "further refused origins not logged" was logged
}

// maxLoggedOrigins bounds the memory of the refused origins already
// logged (origins are chosen by whoever sends the request): past it, one
// more line says further ones are not logged. An origin is kept at most
// maxOriginLen bytes.
const (
	maxLoggedOrigins = 1024
	maxOriginLen     = 256
)

// Headers of the CORS answers. Content-Type and Cache-Control are exposed
// to scripts without being listed (CORS-safelisted).
const (
	corsAllowMethods  = "GET, POST, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, Last-Event-ID"
	corsExposeHeaders = "Retry-After, Location, WWW-Authenticate, Allow"
	corsMaxAge        = "600"
)

// NewCORS returns the policy allowing origins (validated by
// config.CheckOrigin: "*" or exact origins); log receives the refusals.
func NewCORS(origins []string, log *slog.Logger) *CORS {
	c := &CORS{allowed: map[string]bool{}, log: log, logged: map[string]struct{}{}}
	for _, o := range origins {
		if o == "*" {
			c.any = true
		}
		c.allowed[o] = true
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Allowed reports whether a page of origin may use the gateway.
func (c *CORS) Allowed(origin string) bool { return c.any || c.allowed[origin] }

// varies reports whether answers depend on the Origin header.
func (c *CORS) varies() bool { return len(c.allowed) > 0 && !c.any }

// Handler answers preflight requests (OPTIONS with
// Access-Control-Request-Method) itself, before authentication, and adds
// the CORS headers to the answers of allowed origins. A request from an
// origin not allowed is served without them (the browser then keeps the
// answer from the page), except a preflight, which gets 403.
func (c *CORS) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		if origin == "" {
			if c.varies() {
				h.Add("Vary", "Origin")
			}
			next.ServeHTTP(w, r)
			return
		}
		h.Add("Vary", "Origin")
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if !c.Allowed(origin) {
			if !sameOrigin(r, origin) {
				c.refused(origin, "cross-origin request")
			}
			if preflight {
				WriteError(w, Errorf(http.StatusForbidden, proto.CodeForbidden,
					"Origin %s is not allowed (server.cors.allowed_origins).", Clip(origin)))
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if c.any {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		next.ServeHTTP(w, r)
	})
}

// CheckOrigin is the WebSocket upgrader's origin check: an upgrade without
// Origin (not from a browser), from the gateway's own origin or from an
// allowed one passes; any other is refused (403) and logged once.
func (c *CORS) CheckOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || c.Allowed(origin) || sameOrigin(r, origin) {
		return true
	}
	c.refused(origin, "WebSocket")
	return false
}

// sameOrigin reports whether origin names the host the request was sent
// to (as gorilla/websocket's default check does).
func sameOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// refused logs the first refusal of each origin.
func (c *CORS) refused(origin, what string) {
	origin = clipTo(origin, maxOriginLen)
	c.mu.Lock()
	_, seen := c.logged[origin]
	full := !seen && len(c.logged) >= maxLoggedOrigins
	first := full && !c.overflow
	if full {
		c.overflow = true
	} else if !seen {
		c.logged[origin] = struct{}{}
	}
	c.mu.Unlock()
	switch {
	case seen, full && !first:
	case full:
		c.log.Warn("refused origins: more than 1024 different ones; further ones are not logged",
			"setting", "server.cors.allowed_origins")
	default:
		c.log.Warn("refused a "+what+" from a web page of another origin; list the origin in server.cors.allowed_origins to allow it (logged once per origin)",
			"origin", origin, "setting", "server.cors.allowed_origins")
	}
}
