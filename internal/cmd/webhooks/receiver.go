package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/evtctl/evtctl/internal/tail"
	"github.com/evtctl/evtctl/internal/webhook/signing"
	"github.com/evtctl/evtctl/pkg/proto"
)

// DefaultMaxBody bounds a request's body. The gateway sends one event a
// request, far smaller; anyone else who reaches the port gets 413.
const DefaultMaxBody = 1 << 20

// clipLen bounds the header values and bodies a record repeats.
const clipLen = 256

// Record is what listen prints for each request, one JSON line piped.
type Record struct {
	ReceivedAt time.Time `json:"received_at"`
	// Verified is true when the signature and timestamp checked out.
	Verified bool `json:"verified"`
	// Answer is the status the listener answered (204, or 4xx).
	Answer int `json:"answer"`
	// Reason says why a request was rejected.
	Reason    string `json:"reason,omitempty"`
	WebhookID string `json:"webhook_id,omitempty"`
	Timestamp string `json:"webhook_timestamp,omitempty"`
	BodyBytes int    `json:"body_bytes"`
	// Family is inferred from a verified event's fields.
	Family proto.Family `json:"family,omitempty"`
	// Event is the verified body when it is JSON; Body otherwise (clipped).
	Event   json.RawMessage `json:"event,omitempty"`
	Body    string          `json:"body,omitempty"`
	Forward *Forward        `json:"forward,omitempty"`
	// Saved is the path of the request's files without their .body and
	// .headers extensions (--save).
	Saved string `json:"saved,omitempty"`
}

// Forward is the outcome of passing a verified request on (--forward-to).
type Forward struct {
	URL    string `json:"url"`
	Status int    `json:"status,omitempty"`
	// Error is why no answer came (connection refused, timeout).
	Error     string  `json:"error,omitempty"`
	LatencyMS float64 `json:"latency_ms"`
}

// receiver is the HTTP handler of listen: it bounds and verifies each
// request, forwards the verified ones, answers, and hands a Record to out.
type receiver struct {
	secrets   []string
	tolerance time.Duration
	maxBody   int64
	forward   string       // "" = none
	client    *http.Client // for forwarding
	now       func() time.Time
	out       chan<- Record
	saver     *saver // nil: --save not given
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Record{
		ReceivedAt: rv.now(),
		WebhookID:  clip(r.Header.Get(signing.HeaderID)),
		Timestamp:  clip(r.Header.Get(signing.HeaderTimestamp)),
	}
	status, reason := rv.check(w, r, &rec)
	rec.Answer = status
	if status >= 400 {
		rec.Reason = reason
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintln(w, "rejected: "+reason)
	} else {
		w.WriteHeader(status)
	}
	select {
	case rv.out <- rec:
	case <-r.Context().Done():
	}
}

// check reads and verifies the request; it returns the status to answer
// and, for a refusal, why.
func (rv *receiver) check(w http.ResponseWriter, r *http.Request, rec *Record) (int, string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return http.StatusMethodNotAllowed, "method " + clip(r.Method) + ": webhooks are POSTs"
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rv.maxBody))
	rec.BodyBytes = len(body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes (--max-body)", rv.maxBody)
	}
	if err != nil {
		return http.StatusBadRequest, "cannot read the body: " + err.Error()
	}
	if rv.saver != nil {
		path, err := rv.saver.save(r, body)
		if err != nil {
			return http.StatusInternalServerError, "cannot save the request: " + err.Error()
		}
		rec.Saved = path
	}
	err = signing.Verify(rv.secrets, signing.HeadersFrom(r.Header), body, signing.Options{Now: rec.ReceivedAt, Tolerance: rv.tolerance})
	switch {
	case errors.Is(err, signing.ErrNoMatch), errors.Is(err, signing.ErrTimestamp):
		return http.StatusUnauthorized, err.Error()
	case err != nil:
		return http.StatusBadRequest, err.Error()
	}
	rec.Verified = true
	if json.Valid(body) {
		rec.Event = proto.AppendCompact(nil, body)
		rec.Family = tail.InferFamily(body)
	} else {
		rec.Body = clip(string(body))
	}
	if rv.forward != "" {
		rec.Forward = rv.forwardTo(r.Context(), r.Header, body)
	}
	return http.StatusNoContent, ""
}

// hopHeaders are not passed on: they describe the connection to the
// listener, not the request.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "Te", "Trailer", "Content-Length", "Host"}

// forwardTo sends the verified request on, with its headers and body
// unchanged, so the application verifies the same signature.
func (rv *receiver) forwardTo(ctx context.Context, h http.Header, body []byte) *Forward {
	fw := &Forward{URL: rv.forward}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rv.forward, bytes.NewReader(body))
	if err != nil {
		fw.Error = err.Error()
		return fw
	}
	req.Header = h.Clone()
	for _, k := range hopHeaders {
		req.Header.Del(k)
	}
	resp, err := rv.client.Do(req)
	fw.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		fw.Error = err.Error()
		return fw
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // keep the connection
	fw.Status = resp.StatusCode
	return fw
}

// clip bounds a value taken from a request for printing: valid UTF-8,
// printable (see printable), at most clipLen bytes and a note of the length.
func clip(s string) string {
	s = printable(s)
	if len(s) <= clipLen {
		return s
	}
	cut := clipLen
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…(%d bytes)", len(s))
}

// printable makes s safe for a terminal: invalid UTF-8 and control
// characters (escape sequences would redraw the screen) become U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
