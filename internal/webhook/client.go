package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/evtctl/evtctl/internal/buildinfo"
	"github.com/evtctl/evtctl/internal/tracing"
)

// maxResponseBody is how much of a response is read (to reuse the
// connection); the rest is dropped with the connection.
const maxResponseBody = 64 << 10

// result is the outcome of one attempt.
type result struct {
	status     int           // HTTP status; 0 without a response
	latency    time.Duration // request start → response headers (or error)
	err        error         // no response: refused, timeout, connection error
	retryAfter time.Duration // Retry-After of the response, if any
	hasRetry   bool
	skipped    bool // the breaker was open: no request was made
}

func (r result) ok() bool { return r.err == nil && !r.skipped && r.status >= 200 && r.status < 300 }

// healthy tells the breaker whether the receiver looks alive.
func (r result) healthy() bool {
	return r.err == nil && r.status < 500 && r.status != http.StatusTooManyRequests
}

// outcome is the metric label of an attempt.
func (r result) outcome() string {
	var refused *RefusedError
	var ne net.Error
	switch {
	case r.skipped:
		return "breaker_open"
	case errors.As(r.err, &refused):
		return "refused"
	case r.err != nil && (errors.Is(r.err, context.DeadlineExceeded) || errors.As(r.err, &ne) && ne.Timeout()):
		return "timeout"
	case r.err != nil:
		return "network_error"
	case r.ok():
		return "success"
	case r.status == http.StatusGone:
		return "gone"
	}
	return "http_error"
}

// describe is the delivery record's error text.
func (r result) describe() string {
	switch {
	case r.skipped:
		return "not attempted: the endpoint's circuit breaker is open after repeated failures"
	case r.err != nil:
		var refused *RefusedError
		if errors.As(r.err, &refused) {
			return refused.Error()
		}
		return r.err.Error()
	case r.ok():
		return ""
	case r.status == http.StatusGone:
		return "the receiver answered 410 Gone: endpoint disabled"
	}
	return fmt.Sprintf("the receiver answered %d %s", r.status, http.StatusText(r.status))
}

// newClient builds the HTTP client of every webhook request: the SSRF
// guard in the dialer, no proxy, no redirects (a 3xx is a failed attempt;
// following it would reach targets the guard never saw in the URL), and
// the request timeout covering connect, TLS, headers and body.
func newClient(g guard, timeout time.Duration, perHost int) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.dialer(timeout),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

var userAgent = "evtctl-webhooks/" + buildinfo.Version

// Headers naming the event of every request, so a receiver can route
// without parsing the body.
const (
	HeaderFamily    = "Evt-Family"
	HeaderEventType = "Evt-Event-Type"
)

// request is one signed attempt to make.
type request struct {
	url, webhookID, signature string
	ts                        int64
	body                      []byte
	family, eventType         string
	headers                   map[string]string // the endpoint's own (reserved names refused at create)
}

// post makes one signed attempt.
func post(ctx context.Context, c *http.Client, r request) result {
	target, webhookID, signature, ts, body := r.url, r.webhookID, r.signature, r.ts, r.body
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return result{err: unwrapURLError(err)}
	}
	// Credentials in the URL are refused since the endpoints API checks
	// for them; an endpoint stored with some before never sends them.
	req.URL.User = nil
	for k, v := range r.headers {
		req.Header.Set(k, v) // first: the gateway's own headers below win
	}
	req.Header.Set(HeaderFamily, r.family)
	req.Header.Set(HeaderEventType, r.eventType)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(HeaderID, webhookID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, signature)
	tracing.Inject(ctx, req.Header) // the attempt's span: the receiver's trace joins the producer's
	start := time.Now()
	resp, err := c.Do(req)
	res := result{latency: time.Since(start)}
	if err != nil {
		res.err = unwrapURLError(err)
		return res
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	resp.Body.Close()
	res.status = resp.StatusCode
	res.retryAfter, res.hasRetry = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	return res
}

// unwrapURLError drops the "Post \"url\":" prefix; the record names the
// endpoint already, and the URL may carry credentials.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
