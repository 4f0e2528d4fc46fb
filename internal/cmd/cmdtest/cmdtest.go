// Package cmdtest helps test the management commands: a Factory bound to
// buffers, a way to run a command line, and a fake gateway that records
// what it was sent.
package cmdtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
)

// Streams are the buffers behind a test Factory.
type Streams struct {
	IO              *iostreams.IOStreams
	In, Out, ErrOut *bytes.Buffer
}

// Factory returns a factory whose streams are buffers (no terminal), whose
// environment is empty and which reads no config file. server and token are
// set as if given by --server and --token.
func Factory(server, token string) (*cmdutil.Factory, *Streams) {
	ios, in, out, errOut := iostreams.Test()
	return factory(ios, server, token), &Streams{IO: ios, In: in, Out: out, ErrOut: errOut}
}

func factory(ios *iostreams.IOStreams, server, token string) *cmdutil.Factory {
	f := cmdutil.NewFactory(ios, "test")
	f.Getenv = func(string) string { return "" }
	f.UserConfigPath = func() string { return "" }
	f.Globals.Server = server
	f.Globals.Token = token
	return f
}

// SyncBuffer is a buffer that goroutines of a running command write while
// the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// LiveFactory is Factory for commands that keep running while the test
// reads their output (tail, replay): standard output and error are
// SyncBuffers, standard input reads stdin.
func LiveFactory(server, token, stdin string) (*cmdutil.Factory, *SyncBuffer, *SyncBuffer) {
	out, errOut := &SyncBuffer{}, &SyncBuffer{}
	ios := &iostreams.IOStreams{In: strings.NewReader(stdin), Out: out, ErrOut: errOut}
	return factory(ios, server, token), out, errOut
}

// Run executes cmd with args the way the root command would: cobra's own
// output discarded, flag errors as usage errors.
func Run(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	_, err := cmd.ExecuteC()
	return err
}

// Request is one request the fake gateway received.
type Request struct {
	Method, Path, RawQuery, ContentType, Auth string
	EscapedPath                               string // the path as sent, %-escapes kept
	Body                                      []byte
}

// JSON decodes the body into a generic value.
func (r Request) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("request body %q: %v", r.Body, err)
	}
	return m
}

// Fake is a gateway stand-in: routes registered with Handle answer, every
// request is recorded, anything else is the gateway's 404.
type Fake struct {
	*httptest.Server
	mu       sync.Mutex
	requests []Request
	mux      *http.ServeMux
}

// NewFake starts a fake gateway on loopback, closed with the test.
func NewFake(t testing.TB) *Fake {
	f := &Fake{mux: http.NewServeMux()}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		ContentType: r.Header.Get("Content-Type"), Auth: r.Header.Get("Authorization"), Body: body})
	f.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	h, pattern := f.mux.Handler(r)
	if pattern == "" {
		Reply(w, http.StatusNotFound, `{"error":{"code":"not_found","message":"No route for `+r.Method+" "+r.URL.Path+`."}}`)
		return
	}
	h.ServeHTTP(w, r)
}

// Handle answers pattern ("GET /api/v1/endpoints/{id}") with status and body.
func (f *Fake) Handle(pattern string, status int, body string) {
	f.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { Reply(w, status, body) })
}

// HandleFunc answers pattern with h.
func (f *Fake) HandleFunc(pattern string, h http.HandlerFunc) { f.mux.HandleFunc(pattern, h) }

// Requests returns what was received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Last returns the last request received; it fails the test if none was.
func (f *Fake) Last(t testing.TB) Request {
	t.Helper()
	rs := f.Requests()
	if len(rs) == 0 {
		t.Fatal("the fake gateway received no request")
	}
	return rs[len(rs)-1]
}

// Reply writes a JSON answer.
func Reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}
