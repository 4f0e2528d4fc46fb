// Package httpapi holds what every HTTP handler of the gateway shares: JSON
// responses, the contract's error body, request decoding and access logs.
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/evtctl/evtctl/pkg/proto"
)

// WriteJSON writes v as a JSON response with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// Payloads must reach clients as ingested (docs/contract.md#as-ingested): no \u003c for <.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// Error is an API error carrying its HTTP status; handlers return it and
// Handle turns it into the contract's error body.
type Error struct {
	Status  int
	Code    string
	Message string
	Details []proto.FieldError
	// RetryAfter, in seconds, is sent as Retry-After when non-zero.
	RetryAfter int
}

func (e *Error) Error() string { return e.Message }

// Errorf builds an *Error.
func Errorf(status int, code, format string, a ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

// WriteError writes the contract's error body.
func WriteError(w http.ResponseWriter, e *Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(e.RetryAfter))
	}
	WriteJSON(w, e.Status, proto.ErrorBody{Error: proto.ErrorDetail{Code: e.Code, Message: e.Message, Details: e.Details}})
}

// HandlerFunc is an http.HandlerFunc that may fail with an error.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts h: a returned *Error becomes its status and body, anything
// else a 500 whose details stay in the log, not in the response.
func Handle(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			LoggerFrom(r.Context()).Error("request failed", "err", err)
			e = Errorf(http.StatusInternalServerError, proto.CodeInternal, "The server failed to handle the request; see its log.")
		}
		WriteError(w, e)
	})
}

// DecodeJSON reads a JSON object body into v, strictly: unknown fields,
// trailing data and bodies over limit bytes are errors.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return Errorf(http.StatusUnsupportedMediaType, proto.CodeUnsupportedMediaType, "Content-Type must be application/json, not %q.", ct)
	}
	// The body is read whole first: encoding/json would turn invalid UTF-8
	// into U+FFFD silently, storing something the client did not send.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Errorf(http.StatusRequestEntityTooLarge, proto.CodeBodyTooLarge, "The request body is larger than %d bytes.", limit)
		}
		return Errorf(http.StatusBadRequest, proto.CodeBadRequest, "The request body could not be read: %s.", Clip(err.Error()))
	}
	if !utf8.Valid(body) {
		if json.Valid(body) {
			if ps := proto.StrictProblems(body); len(ps) > 0 {
				return &Error{Status: http.StatusBadRequest, Code: proto.CodeValidationFailed,
					Message: fmt.Sprintf("Field %q %s.", ps[0].Field, ps[0].Reason), Details: ps}
			}
		}
		return Errorf(http.StatusBadRequest, proto.CodeInvalidJSON, "The request body is not valid UTF-8 (at byte %d).", invalidUTF8At(body))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return Errorf(http.StatusRequestEntityTooLarge, proto.CodeBodyTooLarge, "The request body is larger than %d bytes.", limit)
		case errors.Is(err, io.EOF):
			return Errorf(http.StatusBadRequest, proto.CodeInvalidJSON, "The request body is empty; a JSON object is required.")
		case errors.As(err, &syn):
			return Errorf(http.StatusBadRequest, proto.CodeInvalidJSON, "The request body is not valid JSON (at byte %d): %v.", syn.Offset, err)
		case errors.As(err, &typ):
			return &Error{Status: http.StatusBadRequest, Code: proto.CodeValidationFailed,
				Message: fmt.Sprintf("Field %q must be %s.", typ.Field, typ.Type),
				Details: []proto.FieldError{{Field: typ.Field, Reason: "must be " + typ.Type.String()}}}
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &Error{Status: http.StatusBadRequest, Code: proto.CodeValidationFailed,
				Message: fmt.Sprintf("Unknown field %q.", f), Details: []proto.FieldError{{Field: f, Reason: "is not a known field"}}}
		default:
			return Errorf(http.StatusBadRequest, proto.CodeInvalidJSON, "The request body could not be read: %v.", err)
		}
	}
	if dec.More() {
		return Errorf(http.StatusBadRequest, proto.CodeInvalidJSON, "The request body holds more than one JSON value.")
	}
	return nil
}

// invalidUTF8At returns the offset of the first byte of b that does not
// start a valid UTF-8 sequence.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// Invalid builds a 400 validation error for one field.
func Invalid(field, reason string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: proto.CodeValidationFailed,
		Message: fmt.Sprintf("Field %q %s.", field, reason),
		Details: []proto.FieldError{{Field: field, Reason: reason}}}
}

// NotFound builds a 404 for a resource kind and id.
func NotFound(kind, id string) *Error {
	return Errorf(http.StatusNotFound, proto.CodeNotFound, "No %s with id %q.", kind, Clip(id))
}
