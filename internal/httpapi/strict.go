package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/evtctl/evtctl/pkg/proto"
)

// Bounds every request meets before any route sees it. Routes check their
// own parameters more tightly (an id, a cursor); these keep whatever a
// route forgets from reaching storage, a header or a log line.
const (
	// MaxQueryValue bounds one query parameter value: room for a JWT in
	// ?access_token=, far more than any id or cursor.
	MaxQueryValue = 8 << 10
	// maxQueryKey bounds a query parameter name.
	maxQueryKey = 64
	// MaxPath bounds the decoded path: every id in a path is at most
	// proto.MaxIdentLen bytes.
	MaxPath = 1024
)

// Strict refuses, with 400 and the contract's error body, a request whose
// query string does not parse exactly (a bad percent-escape would
// otherwise be dropped silently and the query widened), or whose path or
// query holds invalid UTF-8, control characters or oversized values.
func Strict(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkRequest(r); err != nil {
			WriteError(w, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func checkRequest(r *http.Request) *Error {
	if len(r.URL.Path) > MaxPath {
		return Errorf(http.StatusBadRequest, proto.CodeBadRequest, "The path is longer than %d bytes.", MaxPath)
	}
	if reason := proto.CheckText(r.URL.Path, MaxPath); reason != "" {
		return Errorf(http.StatusBadRequest, proto.CodeBadRequest, "The path %s.", reason)
	}
	if r.URL.RawQuery == "" {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return Errorf(http.StatusBadRequest, proto.CodeBadRequest,
			"The query string is malformed (%s); percent-encode reserved characters (%% as %%25).", Clip(strings.TrimPrefix(err.Error(), "invalid URL escape ")))
	}
	for k, vs := range q {
		if len(k) > maxQueryKey || proto.CheckText(k, maxQueryKey) != "" {
			return Errorf(http.StatusBadRequest, proto.CodeBadRequest, "Query parameter %s is not a valid name.", strconv.Quote(Clip(k)))
		}
		for _, v := range vs {
			if reason := proto.CheckText(v, MaxQueryValue); reason != "" {
				return Invalid(k, reason)
			}
		}
	}
	// Routes read r.URL.Query() again; it now parses to the same values.
	return nil
}

// clipLen is how much of a client's value an error message or log line
// echoes.
const clipLen = 64

// Clip shortens a client-supplied value for an error message or a log
// line: a 100,000-byte id echoed back in full helps nobody.
func Clip(s string) string { return clipTo(s, clipLen) }

func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
