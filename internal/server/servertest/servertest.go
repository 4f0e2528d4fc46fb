// Package servertest runs a real gateway on a loopback port for tests.
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server"
)

// AdminToken is the static admin token of every test server.
const AdminToken = "test-admin-token"

// Harness is a running server.
type Harness struct {
	T      testing.TB
	Server *server.Server
	Config *config.Config
	URL    string
}

// Option changes the configuration before start.
type Option func(*config.Config)

// Run starts a server on 127.0.0.1:0 with a fresh data directory, with
// the components build makes for every generation (nil: keys, ingest and
// query only), and shuts it down when the test ends.
func Run(t testing.TB, build server.Builder, opts ...Option) *Harness {
	t.Helper()
	return Start(t, Config(t, opts...), build)
}

// Config is the configuration Run uses: loopback port 0, a fresh data
// directory, the static admin token, then opts.
func Config(t testing.TB, opts ...Option) *config.Config {
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.Name = "edge-01"
	cfg.Server.AdminToken = AdminToken
	cfg.Storage.DataDir = t.TempDir()
	cfg.Log.Level = "error"
	for _, o := range opts {
		o(cfg)
	}
	return cfg
}

// Start starts a server with exactly cfg and the components build makes.
func Start(t testing.TB, cfg *config.Config, build server.Builder) *Harness {
	t.Helper()
	return start(t, cfg, server.New(cfg, nil, build))
}

func start(t testing.TB, cfg *config.Config, srv *server.Server) *Harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &Harness{T: t, Server: srv, Config: cfg, URL: srv.URL()}
}

// Response is a decoded HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do sends a request with token (empty = none). body may be nil, []byte,
// string or any JSON-encodable value; contentType defaults to JSON.
func (h *Harness) Do(method, path, token, contentType string, body any) *Response {
	h.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.T.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.URL+path, rd)
	if err != nil {
		h.T.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		if contentType == "" {
			contentType = "application/json"
		}
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// NewKey creates an API key with scopes for owner and returns its token.
func (h *Harness) NewKey(owner string, scopes ...string) string {
	h.T.Helper()
	r := h.Do("POST", "/api/v1/keys", AdminToken, "", map[string]any{"name": "test " + owner, "owner": owner, "scopes": scopes})
	if r.Status != http.StatusCreated {
		h.T.Fatalf("create key: %d %s", r.Status, r.Body)
	}
	var k struct {
		Token string `json:"token"`
	}
	r.JSON(h.T, &k)
	return k.Token
}
