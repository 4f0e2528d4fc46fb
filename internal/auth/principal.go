// Package auth decides who a request comes from and what it may do: API
// keys (stored hashed in a KV collection), the optional static admin token,
// scopes, and the HTTP middleware that enforces them.
package auth

import (
	"context"
	"slices"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

// Principal is the authenticated caller.
type Principal struct {
	KeyID  string
	Name   string
	Owner  string
	Scopes []string
	// Devices limits the SSE analysis streams the caller may open to these
	// devices (a JWT's devices claim, never empty); nil = every device of
	// Owner.
	Devices []string
	// ExpiresAt is a JWT's exp, when its streams close; zero for API keys,
	// whose expiry the key store holds (Keys.ExpiresAt).
	ExpiresAt time.Time
}

// JWT reports whether p was authenticated by a JWT.
func (p Principal) JWT() bool { return p.KeyID == JWTKeyID }

// MayStream reports whether p may open device's stream (Devices).
func (p Principal) MayStream(device string) bool {
	return p.Devices == nil || slices.Contains(p.Devices, device)
}

// Admin reports whether p holds the admin scope, which implies every other
// scope and every tenant.
func (p Principal) Admin() bool { return slices.Contains(p.Scopes, proto.ScopeAdmin) }

// HasAny reports whether p may use something that requires any of scopes.
func (p Principal) HasAny(scopes ...string) bool {
	if p.Admin() {
		return true
	}
	for _, s := range scopes {
		if slices.Contains(p.Scopes, s) {
			return true
		}
	}
	return false
}

// CanSee reports whether p may see resources or events of owner.
func (p Principal) CanSee(owner string) bool { return p.Admin() || p.Owner == owner }

type principalKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// From returns the principal of an authenticated request.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
