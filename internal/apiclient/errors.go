package apiclient

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// APIError is a non-2xx answer of the gateway. It carries the HTTP status
// and knows nothing of the command line: the CLI maps the status to its exit
// code (401/403: unauthorized, 404: not found, the rest: failure).
type APIError struct {
	Status  int    // HTTP status code
	Code    string // the gateway's snake_case code; "" when the body was not the error JSON
	Message string // one human sentence
	Details []Detail
	// RetryAfter is the server's Retry-After (429, 503), 0 when absent.
	RetryAfter time.Duration
	// Hint is an extra line telling the user what to do, or "".
	Hint string
}

// Detail is one per-record problem of a rejected request (e.g. an ingest
// batch): which record (its index in the request), which field, and why.
type Detail struct {
	Index  *int   `json:"index,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// String renders the detail as one stderr line:
// "record 3: created_at: is not a valid time".
func (d Detail) String() string {
	var parts []string
	if d.Index != nil {
		parts = append(parts, "record "+strconv.Itoa(*d.Index))
	}
	if d.Field != "" {
		parts = append(parts, d.Field)
	}
	if d.Reason != "" {
		parts = append(parts, d.Reason)
	}
	return strings.Join(parts, ": ")
}

// Error is the message, then one line per detail, then the hint.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(sentence(e.Message))
	for _, d := range e.Details {
		if s := d.String(); s != "" {
			b.WriteString("\n")
			b.WriteString(s)
		}
	}
	if e.Hint != "" {
		b.WriteString("\n")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// sentence ends s with a full stop unless it already ends a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	switch s[len(s)-1] {
	case '.', '!', '?', ':':
		return s
	}
	return s + "."
}

// errorBody is the gateway's error envelope (docs/contract.md#errors).
type errorBody struct {
	Error *struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Details []Detail `json:"details"`
	} `json:"error"`
}

// statusError maps a non-2xx answer to the error a command returns.
func (c *Client) statusError(resp *http.Response, body []byte) error {
	e := &APIError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error != nil && eb.Error.Message != "" {
		e.Code = eb.Error.Code
		e.Message = eb.Error.Message
		e.Details = eb.Error.Details
	} else {
		e.Message = "the gateway answered " + statusLine(resp)
		if text := plainText(resp, body); text != "" {
			e.Message += ": " + text
		}
	}
	if resp.StatusCode == http.StatusUnauthorized && c.token == "" {
		e.Hint = "No token was sent: set EVTCTL_TOKEN or pass --token."
	}
	return e
}

func statusLine(resp *http.Response) string {
	if s := strings.TrimSpace(resp.Status); s != "" {
		return s
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
}

// plainText returns a short one-line text/plain body (as net/http's own
// errors are, e.g. "404 page not found"), or "" for anything else: an HTML
// page from a proxy is noise on a terminal.
func plainText(resp *http.Response, body []byte) string {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "text/plain" || !utf8.Valid(body) {
		return ""
	}
	s := strings.TrimSpace(string(body))
	if s == "" || len(s) > 200 || strings.ContainsAny(s, "\r\n") {
		return ""
	}
	return strings.TrimSuffix(s, ".")
}

func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
