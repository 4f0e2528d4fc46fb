package tail

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// StatusError is a refused connection: the server answered with a status
// other than 200 (SSE) or 101 (WebSocket).
type StatusError struct {
	Source  string
	Status  int
	Code    string // the gateway's error code, "" if the body was not its error JSON
	Message string
	// RetryAfter is the server's Retry-After, 0 when absent.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := strings.TrimSuffix(e.Message, ".")
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s: the server answered %d: %s", e.Source, e.Status, msg)
}

// Temporary reports whether a retry may succeed: limits (429, 503) and
// gateway errors. 4xx answers other than 429 will not change by retrying.
func (e *StatusError) Temporary() bool {
	switch e.Status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// statusError reads a refused answer (its body is read, not closed).
func statusError(source string, resp *http.Response) *StatusError {
	e := &StatusError{Source: source, Status: resp.StatusCode}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	if resp.Body == nil {
		return e
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil && body.Error != nil {
		e.Code, e.Message = body.Error.Code, body.Error.Message
	}
	return e
}
