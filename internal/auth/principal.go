// Package auth decides who a request comes from and what it may do: API
// keys (stored hashed in a KV collection), the optional static admin token,
// scopes, and the HTTP middleware that enforces them.
package auth

import (
	"context"
	"slices"

	"github.com/evtctl/evtctl/pkg/proto"
)

// Principal is the authenticated caller.
type Principal struct {
	KeyID  string
	Name   string
	Owner  string
	Scopes []string
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
