package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/pkg/proto"
)

// While a rebuild is under way there is no generation: every request gets
// the contract's 503 JSON error, health and metrics still answer.
func TestBetweenGenerations(t *testing.T) {
	s := New(config.Default(), nil, nil)
	h := s.serveCurrent()
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"POST", "/api/v1/events/sound", http.StatusServiceUnavailable, proto.CodeUnavailable},
		{"GET", "/api/v1/events", http.StatusServiceUnavailable, proto.CodeUnavailable},
		{"GET", "/api/v1/ws/composite-events", http.StatusServiceUnavailable, proto.CodeUnavailable},
		{"GET", "/readyz", http.StatusServiceUnavailable, proto.CodeUnavailable},
		{"GET", "/healthz", http.StatusOK, ""},
		{"GET", "/metrics", http.StatusOK, ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.status {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, rec.Code, rec.Body)
			continue
		}
		if tc.code == "" {
			continue
		}
		var body proto.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != tc.code || body.Error.Message == "" {
			t.Errorf("%s %s: body %s", tc.method, tc.path, rec.Body)
		}
	}
}
