package httpapi

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func corsServe(c *CORS, method, origin string, hdr ...string) *httptest.ResponseRecorder {
	h := c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot) // stands for the routes (and their auth)
	}))
	r := httptest.NewRequest(method, "http://127.0.0.1:8100/api/v1/events", nil)
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestCORS(t *testing.T) {
	var logs bytes.Buffer
	c := NewCORS([]string{"http://127.0.0.1:8088"}, slog.New(slog.NewTextHandler(&logs, nil)))
	const page = "http://127.0.0.1:8088"

	// A preflight of an allowed origin is answered before authentication.
	w := corsServe(c, "OPTIONS", page, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization,last-event-id")
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != page ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Last-Event-ID") ||
		w.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight: %d %v", w.Code, w.Header())
	}
	// A request of an allowed origin reaches the route with its headers.
	w = corsServe(c, "GET", page)
	if w.Code != http.StatusTeapot || w.Header().Get("Access-Control-Allow-Origin") != page ||
		!strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "Retry-After") ||
		w.Header().Get("Vary") != "Origin" {
		t.Errorf("GET: %d %v", w.Code, w.Header())
	}
	// Without Origin (a CLI): untouched but for Vary.
	w = corsServe(c, "GET", "")
	if w.Code != http.StatusTeapot || w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") != "Origin" {
		t.Errorf("no Origin: %d %v", w.Code, w.Header())
	}
	// An OPTIONS that is not a preflight goes to the routes (405 there).
	if w = corsServe(c, "OPTIONS", ""); w.Code != http.StatusTeapot {
		t.Errorf("plain OPTIONS: %d", w.Code)
	}
	// Another origin: preflight 403, request served without CORS headers
	// (the browser keeps it from the page), logged once.
	for range 3 {
		w = corsServe(c, "OPTIONS", "http://evil.example", "Access-Control-Request-Method", "GET")
		if w.Code != http.StatusForbidden || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("refused preflight: %d %v", w.Code, w.Header())
		}
		w = corsServe(c, "GET", "http://evil.example")
		if w.Code != http.StatusTeapot || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("refused GET: %d %v", w.Code, w.Header())
		}
	}
	if n := strings.Count(logs.String(), "evil.example"); n != 1 || !strings.Contains(logs.String(), "server.cors.allowed_origins") {
		t.Errorf("logged %d times: %s", n, logs.String())
	}
	// The gateway's own origin is not refused nor logged.
	logs.Reset()
	if w = corsServe(c, "POST", "http://127.0.0.1:8100"); w.Code != http.StatusTeapot || logs.Len() != 0 {
		t.Errorf("same origin: %d, log %q", w.Code, logs.String())
	}
}

func TestCORSAnyOrigin(t *testing.T) {
	c := NewCORS([]string{"*"}, nil)
	w := corsServe(c, "GET", "http://whatever.example:3000")
	if w.Header().Get("Access-Control-Allow-Origin") != "*" || w.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("*: %v", w.Header())
	}
	if !c.CheckOrigin(httptest.NewRequest("GET", "http://127.0.0.1:8100/", nil)) {
		t.Error("CheckOrigin refused a request without Origin")
	}
}

func TestCORSWebSocketOrigin(t *testing.T) {
	var logs bytes.Buffer
	c := NewCORS(nil, slog.New(slog.NewTextHandler(&logs, nil)))
	req := func(origin string) *http.Request {
		r := httptest.NewRequest("GET", "http://127.0.0.1:8100/api/v1/ws/composite-events", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		return r
	}
	if !c.CheckOrigin(req("")) || !c.CheckOrigin(req("http://127.0.0.1:8100")) {
		t.Error("refused no Origin or the gateway's own")
	}
	if c.CheckOrigin(req("http://127.0.0.1:8088")) {
		t.Error("accepted an origin not listed")
	}
	// Memory of logged origins is bounded; every distinct one up to the
	// bound is logged once, then one line says the rest are not.
	for i := range maxLoggedOrigins + 50 {
		c.CheckOrigin(req(fmt.Sprintf("http://o%d.example", i)))
	}
	if len(c.logged) != maxLoggedOrigins {
		t.Errorf("%d origins remembered", len(c.logged))
	}
	if n := strings.Count(logs.String(), "further ones are not logged"); n != 1 {
		t.Errorf("overflow logged %d times", n)
	}
}
