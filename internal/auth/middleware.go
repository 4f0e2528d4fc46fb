package auth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// BearerToken returns the token of a request: the Authorization header, or
// (only when allowQuery is set, for stream endpoints that browsers open
// with EventSource) the access_token query parameter.
func BearerToken(r *http.Request, allowQuery bool) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
		return ""
	}
	if allowQuery {
		return r.URL.Query().Get("access_token")
	}
	return ""
}

// Require authenticates the request and checks that the caller holds any
// of scopes (admin implies all). The principal is stored in the context.
func (k *Keys) Require(allowQueryToken bool, scopes ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := k.Authenticate(BearerToken(r, allowQueryToken))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="evtctl"`)
				httpapi.WriteError(w, unauthorized(err, allowQueryToken))
				return
			}
			if len(scopes) > 0 && !p.HasAny(scopes...) {
				httpapi.WriteError(w, httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden,
					"This key lacks the scope for this request (needs %s).", strings.Join(scopes, " or ")))
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

func unauthorized(err error, allowQuery bool) *httpapi.Error {
	var je *JWTError
	switch {
	case errors.As(err, &je):
		return httpapi.Errorf(http.StatusUnauthorized, proto.CodeUnauthorized, "The token was refused: %s.", je.Reason)
	case errors.Is(err, ErrNoToken):
		where := "an Authorization: Bearer header"
		if allowQuery {
			where += " or an access_token query parameter"
		}
		return httpapi.Errorf(http.StatusUnauthorized, proto.CodeUnauthorized, "Authentication required: send %s.", where)
	case errors.Is(err, ErrExpiredToken):
		return httpapi.Errorf(http.StatusUnauthorized, proto.CodeUnauthorized, "The API key has expired.")
	case errors.Is(err, ErrInvalidOwner):
		return httpapi.Errorf(http.StatusUnauthorized, proto.CodeUnauthorized,
			"The API key's owner is not a valid tenant name (letters, digits and - _ . : @ +, at most %d bytes); create a new key and revoke this one.", proto.MaxOwnerLen)
	default:
		return httpapi.Errorf(http.StatusUnauthorized, proto.CodeUnauthorized, "The token is not a valid API key (it may have been revoked).")
	}
}
