// Package apiclient is the HTTP client of the gateway's management and
// ingest API, shared by every evtctl command that talks to a server. It turns
// the gateway's error bodies into errors whose text is fit for stderr and
// which carry the HTTP status (*APIError); it knows nothing of the command
// line, whose exit codes are decided by the caller.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// DefaultTimeout bounds a whole non-streaming call, body included.
const DefaultTimeout = 30 * time.Second

// maxErrorBody caps how much of an error answer is read.
const maxErrorBody = 1 << 20

// Client calls one gateway with one token. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	baseErr   error
	token     string
	http      *http.Client
	userAgent string
	timeout   time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient replaces the HTTP client (tests, custom transports). Its own
// Timeout, if any, also applies to DoRaw.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithTimeout bounds each non-streaming call; 0 disables the bound.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// New returns a client for the gateway at server (e.g. http://localhost:8100;
// a bare host:port means http) sending token as a bearer token when not
// empty. An invalid server is reported by every call; check it up front with
// ParseServer.
func New(server, token string, opts ...Option) *Client {
	c := &Client{
		token:     token,
		userAgent: "evtctl/dev",
		timeout:   DefaultTimeout,
	}
	c.base, c.baseErr = ParseServer(server)
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Transport: defaultTransport()}
	}
	return c
}

func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return t
}

// ParseServer validates a gateway address: an http or https URL with a host,
// or a bare host:port taken as http.
func ParseServer(server string) (*url.URL, error) {
	raw := strings.TrimSpace(server)
	if raw != "" && !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("invalid server URL %q: want http(s)://host[:port]", server)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// BaseURL returns a copy of the gateway address (nil if it is invalid).
func (c *Client) BaseURL() *url.URL {
	if c.base == nil {
		return nil
	}
	u := *c.base
	return &u
}

// Token returns the bearer token, for streams that pass it themselves.
func (c *Client) Token() string { return c.token }

// Do sends a request and decodes a 2xx JSON answer into out.
//
// path is relative to the server (e.g. "/api/v1/endpoints/"+url.PathEscape(id));
// query is added to it. body is nil; a []byte, json.RawMessage, string or
// io.Reader sent as is, labelled application/json; or any other value,
// encoded as JSON. out is nil (answer discarded), an io.Writer (answer copied
// as is, e.g. to keep event payloads byte-exact), or a pointer for
// json.Unmarshal; an empty answer (204) leaves it untouched. Non-2xx answers
// become *APIError, transport failures *ConnectError; the call is bounded by the client's timeout (30 s).
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return c.DoWithContentType(ctx, method, path, query, "", body, out)
}

// DoWithContentType is Do with an explicit Content-Type for the body, for
// bodies that are not JSON (e.g. application/x-ndjson). "" means JSON.
func (c *Client) DoWithContentType(ctx context.Context, method, path string, query url.Values, contentType string, body, out any) error {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	r, err := encodeBody(body)
	if err != nil {
		return err
	}
	if contentType == "" && r != nil {
		contentType = "application/json"
	}
	resp, err := c.send(ctx, method, path, query, contentType, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	switch o := out.(type) {
	case nil:
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	case io.Writer:
		if _, err := io.Copy(o, resp.Body); err != nil {
			return c.transportError(ctx, err)
		}
		return nil
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return c.transportError(ctx, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil // 204, or an empty 2xx
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("cannot read the gateway's answer to %s %s: %v", method, path, err)
	}
	return nil
}

// DoRaw sends body as is and returns the response for the caller to read and
// close. It has no overall timeout, so it suits streaming uploads (NDJSON
// ingest) and long answers; bound it with ctx. A non-2xx answer is already
// turned into an error (and its body closed).
func (c *Client) DoRaw(ctx context.Context, method, path string, query url.Values, contentType string, body io.Reader) (*http.Response, error) {
	return c.send(ctx, method, path, query, contentType, body)
}

func encodeBody(body any) (io.Reader, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case []byte:
		return bytes.NewReader(b), nil
	case json.RawMessage:
		return bytes.NewReader(b), nil
	case string:
		return strings.NewReader(b), nil
	case io.Reader:
		return b, nil
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the request: %w", err)
	}
	return bytes.NewReader(data), nil
}

func (c *Client) url(path string, query url.Values) (string, error) {
	if c.baseErr != nil {
		return "", c.baseErr
	}
	u, err := url.Parse(c.base.String() + "/" + strings.TrimLeft(path, "/"))
	if err != nil {
		return "", fmt.Errorf("invalid request path %q: %w", path, err)
	}
	if len(query) > 0 {
		q := u.Query()
		for k, vs := range query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

func (c *Client) send(ctx context.Context, method, path string, query url.Values, contentType string, body io.Reader) (*http.Response, error) {
	u, err := c.url(path, query)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, c.statusError(resp, data)
}

// ConnectError means the gateway could not be reached or did not answer.
type ConnectError struct {
	Server string
	Err    error
}

func (e *ConnectError) Error() string {
	switch {
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot reach the gateway at %s (is evtctl serve running?)", e.Server)
	case errors.Is(e.Err, context.DeadlineExceeded):
		return fmt.Sprintf("the gateway at %s did not answer in time", e.Server)
	}
	var dnsErr *net.DNSError
	if errors.As(e.Err, &dnsErr) {
		return fmt.Sprintf("cannot reach the gateway at %s: unknown host %s", e.Server, dnsErr.Name)
	}
	return fmt.Sprintf("cannot reach the gateway at %s: %v", e.Server, innermost(e.Err))
}

func (e *ConnectError) Unwrap() error { return e.Err }

// innermost strips the *url.Error and *net.OpError layers that repeat the
// method and URL.
func innermost(err error) error {
	for {
		var ue *url.Error
		var oe *net.OpError
		switch {
		case errors.As(err, &ue) && ue.Err != err:
			err = ue.Err
		case errors.As(err, &oe) && oe.Err != nil && oe.Err != err:
			err = oe.Err
		default:
			return err
		}
	}
}

func (c *Client) transportError(ctx context.Context, err error) error {
	// The caller cancelled (Ctrl-C): say so plainly, keep errors.Is working.
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	return &ConnectError{Server: c.base.String(), Err: err}
}
