package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type endpoint struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
}

func TestDoSuccess(t *testing.T) {
	var mu sync.Mutex
	var got struct {
		method, path, query, auth, ua, ctype, body string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got.method, got.path, got.query = r.Method, r.URL.EscapedPath(), r.URL.RawQuery
		got.auth, got.ua, got.ctype = r.Header.Get("Authorization"), r.Header.Get("User-Agent"), r.Header.Get("Content-Type")
		got.body = string(b)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"ep_1","name":"alerts","type":"webhook"}`)
	}))
	defer srv.Close()

	c := New(srv.URL+"/", "tok123", WithUserAgent("evtctl/1.2.3"))
	var out endpoint
	err := c.Do(context.Background(), "POST", "/api/v1/endpoints", url.Values{"x": {"a b"}},
		endpoint{Name: "alerts", Type: "webhook"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out != (endpoint{ID: "ep_1", Name: "alerts", Type: "webhook"}) {
		t.Errorf("decoded %+v", out)
	}
	want := struct{ method, path, query, auth, ua, ctype, body string }{
		"POST", "/api/v1/endpoints", "x=a+b", "Bearer tok123", "evtctl/1.2.3", "application/json",
		`{"id":"","name":"alerts","type":"webhook"}`,
	}
	mu.Lock()
	defer mu.Unlock()
	if got != want {
		t.Errorf("request\n got %+v\nwant %+v", got, want)
	}
}

func TestDoBodiesAndOutputs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch r.URL.EscapedPath() {
		case "/echo":
			w.Header().Set("X-Content-Type", r.Header.Get("Content-Type"))
			w.Write([]byte(`{"ctype":"` + r.Header.Get("Content-Type") + `","body":` + strconv.Quote(string(b)) + `}`))
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/ep/a%2Fb":
			w.Write([]byte(`{"id":"a/b","name":"x"}`))
		default:
			http.Error(w, "unexpected "+r.URL.EscapedPath(), http.StatusTeapot)
		}
	}))
	defer srv.Close()
	c := New(srv.URL, "")
	ctx := context.Background()

	type echo struct{ Ctype, Body string }
	cases := []struct {
		name  string
		ctype string
		body  any
		want  echo
	}{
		{"bytes", "", []byte(`{"a": 1}`), echo{"application/json", `{"a": 1}`}},
		{"raw message", "", json.RawMessage(`[1,2]`), echo{"application/json", `[1,2]`}},
		{"reader ndjson", "application/x-ndjson", strings.NewReader("{}\n{}\n"), echo{"application/x-ndjson", "{}\n{}\n"}},
		{"map", "", map[string]int{"n": 1}, echo{"application/json", `{"n":1}`}},
		{"nil", "", nil, echo{"", ""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got echo
			if err := c.DoWithContentType(ctx, "POST", "echo", nil, tc.ctype, tc.body, &got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}

	// 204 with a pointer: nothing to decode, no error.
	var ep endpoint
	if err := c.Do(ctx, "DELETE", "/empty", nil, nil, &ep); err != nil {
		t.Errorf("204: %v", err)
	}
	// Escaped ids survive path joining.
	if err := c.Do(ctx, "GET", "/ep/"+url.PathEscape("a/b"), nil, nil, &ep); err != nil || ep.ID != "a/b" {
		t.Errorf("escaped path: %v %+v", err, ep)
	}
	// io.Writer output receives the body byte for byte.
	var buf bytes.Buffer
	if err := c.Do(ctx, "POST", "/echo", nil, []byte(`{"b":1.50}`), &buf); err != nil {
		t.Fatal(err)
	}
	if want := `{"ctype":"application/json","body":"{\"b\":1.50}"}`; buf.String() != want {
		t.Errorf("writer output %q, want %q", buf.String(), want)
	}
	// nil out: the answer is discarded.
	if err := c.Do(ctx, "POST", "/echo", nil, nil, nil); err != nil {
		t.Error(err)
	}
}

func errorServer(status int, ctype, body string, hdr ...string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
}

func TestErrorMapping(t *testing.T) {
	const details = `{"error":{"code":"invalid_events","message":"2 records are invalid; nothing was stored.","details":[
		{"index":0,"field":"id","reason":"is required"},
		{"index":3,"field":"created_at","reason":"is not a valid time"},
		{"field":"name","reason":"is too long"}]}}`
	tests := []struct {
		name     string
		status   int
		ctype    string
		body     string
		token    string
		hdr      []string
		wantMsg  string
		wantCode string
		retry    time.Duration
	}{
		{
			name: "401 with token", status: 401, token: "t", ctype: "application/json",
			body:    `{"error":{"code":"unauthorized","message":"The token is missing or invalid."}}`,
			wantMsg: "The token is missing or invalid.", wantCode: "unauthorized",
		},
		{
			name: "401 without token hints", status: 401, ctype: "application/json",
			body:    `{"error":{"code":"unauthorized","message":"The token is missing or invalid"}}`,
			wantMsg: "The token is missing or invalid.\nNo token was sent: set EVTCTL_TOKEN or pass --token.", wantCode: "unauthorized",
		},
		{
			name: "403", status: 403, token: "t", ctype: "application/json",
			body:    `{"error":{"code":"forbidden","message":"This key lacks the admin scope."}}`,
			wantMsg: "This key lacks the admin scope.", wantCode: "forbidden",
		},
		{
			name: "404", status: 404, token: "t", ctype: "application/json",
			body:    `{"error":{"code":"not_found","message":"Endpoint ep_9 does not exist."}}`,
			wantMsg: "Endpoint ep_9 does not exist.", wantCode: "not_found",
		},
		{
			name: "400 with details", status: 400, token: "t", ctype: "application/json", body: details,
			wantMsg: "2 records are invalid; nothing was stored.\n" +
				"record 0: id: is required\n" +
				"record 3: created_at: is not a valid time\n" +
				"name: is too long",
			wantCode: "invalid_events",
		},
		{
			name: "429 retry after", status: 429, token: "t", ctype: "application/json", hdr: []string{"Retry-After", "7"},
			body:    `{"error":{"code":"rate_limited","message":"Too many streams for this user."}}`,
			wantMsg: "Too many streams for this user.", wantCode: "rate_limited", retry: 7 * time.Second,
		},
		{
			name: "502 html body", status: 502, token: "t", ctype: "text/html", body: "<html><body>Bad gateway</body></html>",
			wantMsg: "the gateway answered 502 Bad Gateway.",
		},
		{
			name: "404 plain text from mux", status: 404, token: "t", ctype: "text/plain; charset=utf-8", body: "404 page not found\n",
			wantMsg: "the gateway answered 404 Not Found: 404 page not found.",
		},
		{
			name: "500 json without envelope", status: 500, token: "t", ctype: "application/json", body: `{"message":"boom"}`,
			wantMsg: "the gateway answered 500 Internal Server Error.",
		},
		{
			name: "503 empty body", status: 503, token: "t",
			wantMsg: "the gateway answered 503 Service Unavailable.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := errorServer(tt.status, tt.ctype, tt.body, tt.hdr...)
			defer srv.Close()
			c := New(srv.URL, tt.token)

			for _, call := range []struct {
				name string
				do   func() error
			}{
				{"Do", func() error { return c.Do(context.Background(), "GET", "/x", nil, nil, &endpoint{}) }},
				{"DoRaw", func() error {
					resp, err := c.DoRaw(context.Background(), "POST", "/x", nil, "application/x-ndjson", strings.NewReader("{}\n"))
					if resp != nil {
						t.Error("DoRaw returned a response with an error")
					}
					return err
				}},
			} {
				err := call.do()
				if err == nil {
					t.Fatalf("%s: no error", call.name)
				}
				if err.Error() != tt.wantMsg {
					t.Errorf("%s: message\n%q\nwant\n%q", call.name, err.Error(), tt.wantMsg)
				}
				// Every refusal is a bare *APIError; its status decides the
				// exit code (cmdutil.ExitCode, tested there).
				apiErr, ok := err.(*APIError)
				if !ok {
					t.Fatalf("%s: want bare *APIError, got %T", call.name, err)
				}
				if apiErr.Status != tt.status || apiErr.Code != tt.wantCode || apiErr.RetryAfter != tt.retry {
					t.Errorf("%s: APIError %+v", call.name, apiErr)
				}
			}
		})
	}
}

func TestDetailsDecoded(t *testing.T) {
	srv := errorServer(400, "application/json", `{"error":{"code":"invalid","message":"Bad.","details":[{"index":0,"field":"x","reason":"r"}]}}`)
	defer srv.Close()
	err := New(srv.URL, "t").Do(context.Background(), "POST", "/", nil, nil, nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || len(apiErr.Details) != 1 || apiErr.Details[0].Index == nil || *apiErr.Details[0].Index != 0 {
		t.Fatalf("details not decoded: %#v", err)
	}
}

// freeAddr returns an address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestConnectionRefused(t *testing.T) {
	server := "http://" + freeAddr(t)
	c := New(server, "t")
	err := c.Do(context.Background(), "GET", "/api/v1/endpoints", nil, nil, nil)
	want := "cannot reach the gateway at " + server + " (is evtctl serve running?)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	var ce *ConnectError
	if !errors.As(err, &ce) {
		t.Errorf("want *ConnectError, got %T", err)
	}
	if _, err := c.DoRaw(context.Background(), "POST", "/x", nil, "", nil); err == nil || err.Error() != want {
		t.Errorf("DoRaw: %v", err)
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	c := New(srv.URL, "t", WithTimeout(50*time.Millisecond))
	err := c.Do(context.Background(), "GET", "/slow", nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "did not answer in time") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	err = New(srv.URL, "t").Do(ctx, "GET", "/slow", nil, nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancel: %v", err)
	}
}

func TestDoRawStreams(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 0
		b, _ := io.ReadAll(r.Body)
		n = bytes.Count(b, []byte("\n"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"accepted":`+strconv.Itoa(n)+`,"duplicates":0,"ctype":"`+r.Header.Get("Content-Type")+`"}`)
	}))
	defer srv.Close()

	// A short timeout must not apply to DoRaw: the upload takes longer.
	c := New(srv.URL, "t", WithTimeout(20*time.Millisecond))
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < 3; i++ {
			time.Sleep(15 * time.Millisecond)
			io.WriteString(pw, `{"id":"`+strconv.Itoa(i)+`"}`+"\n")
		}
		pw.Close()
	}()
	resp, err := c.DoRaw(context.Background(), "POST", "/api/v1/events/sound", nil, "application/x-ndjson", pr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 202 || string(b) != `{"accepted":3,"duplicates":0,"ctype":"application/x-ndjson"}` {
		t.Errorf("got %d %s", resp.StatusCode, b)
	}
}

func TestListAll(t *testing.T) {
	const total = 7
	var mu sync.Mutex
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.RawQuery)
		mu.Unlock()
		q := r.URL.Query()
		if r.URL.Path != "/api/v1/endpoints" || q.Get("type") != "webhook" {
			http.Error(w, "bad request", 400)
			return
		}
		size := 3
		if l := q.Get("limit"); l != "" {
			size, _ = strconv.Atoi(l)
		}
		start := 0
		if tok := q.Get("page_token"); tok != "" {
			start, _ = strconv.Atoi(strings.TrimPrefix(tok, "p"))
		}
		page := Page[endpoint]{Items: []endpoint{}}
		for i := start; i < total && i < start+size; i++ {
			page.Items = append(page.Items, endpoint{ID: "ep_" + strconv.Itoa(i)})
		}
		if start+size < total {
			page.NextPageToken = "p" + strconv.Itoa(start+size)
		}
		json.NewEncoder(w).Encode(page)
	}))
	defer srv.Close()
	c := New(srv.URL, "t")
	query := url.Values{"type": {"webhook"}}

	ids := func(items []endpoint) string {
		var s []string
		for _, it := range items {
			s = append(s, it.ID)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name     string
		query    url.Values
		limit    int
		want     string
		requests []string
	}{
		{"all", query, 0, "ep_0,ep_1,ep_2,ep_3,ep_4,ep_5,ep_6",
			[]string{"type=webhook", "page_token=p3&type=webhook", "page_token=p6&type=webhook"}},
		{"limit within one page", query, 2, "ep_0,ep_1", []string{"limit=2&type=webhook"}},
		{"limit across pages with caller page size", url.Values{"type": {"webhook"}, "limit": {"3"}}, 5, "ep_0,ep_1,ep_2,ep_3,ep_4",
			[]string{"limit=3&type=webhook", "limit=3&page_token=p3&type=webhook"}},
		{"limit above total", query, 50, "ep_0,ep_1,ep_2,ep_3,ep_4,ep_5,ep_6", []string{"limit=50&type=webhook"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			requests = nil
			mu.Unlock()
			before := tt.query.Encode()
			got, err := ListAll[endpoint](context.Background(), c, "/api/v1/endpoints", tt.query, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if ids(got) != tt.want {
				t.Errorf("got %s, want %s", ids(got), tt.want)
			}
			mu.Lock()
			if strings.Join(requests, " | ") != strings.Join(tt.requests, " | ") {
				t.Errorf("requests %q, want %q", requests, tt.requests)
			}
			mu.Unlock()
			if tt.query.Encode() != before {
				t.Error("ListAll modified the caller's query")
			}
		})
	}
}

func TestListAllEmptyAndLoop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/loop" {
			io.WriteString(w, `{"items":[{"id":"a"}],"next_page_token":"same"}`)
			return
		}
		io.WriteString(w, `{"items":[]}`)
	}))
	defer srv.Close()
	c := New(srv.URL, "t")
	got, err := ListAll[endpoint](context.Background(), c, "/empty", nil, 0)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty: %v %#v", err, got)
	}
	if _, err := ListAll[endpoint](context.Background(), c, "/loop", nil, 0); err == nil {
		t.Error("a repeated page token must stop the loop")
	}
}

func TestParseServer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://localhost:8100", "http://localhost:8100"},
		{"https://gw.example.com/", "https://gw.example.com"},
		{"localhost:8100", "http://localhost:8100"},
		{"https://proxy.example.com/evtctl/", "https://proxy.example.com/evtctl"},
	}
	for _, tt := range tests {
		u, err := ParseServer(tt.in)
		if err != nil || u.String() != tt.want {
			t.Errorf("%q: got %v %v, want %s", tt.in, u, err, tt.want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "http://", "http://h/?a=1", "://x", "http://user:pw@h"} {
		if _, err := ParseServer(bad); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}

	// A base path is kept in front of the API path.
	paths := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { paths <- r.URL.Path }))
	defer srv.Close()
	if err := New(srv.URL+"/gw/", "").Do(context.Background(), "GET", "/api/v1/keys", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if path := <-paths; path != "/gw/api/v1/keys" {
		t.Errorf("path %q", path)
	}
	// New with a bad server fails on use, not with a panic.
	if err := New("ftp://x", "").Do(context.Background(), "GET", "/", nil, nil, nil); err == nil {
		t.Error("want error")
	}
}
