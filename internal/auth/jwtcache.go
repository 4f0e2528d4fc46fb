package auth

import (
	"strings"
	"sync"
	"time"
)

// The verified-token cache holds at most maxVerifiedTokens tokens and
// maxVerifiedBytes of token text (a token is at most 8 KiB; a typical
// one 300 bytes): a few MiB when full.
const (
	maxVerifiedTokens = 8192
	maxVerifiedBytes  = 4 << 20
)

// verifiedTokens remembers the principals of tokens whose signature and
// claims were checked, so that the same token presented again (a dashboard
// opening its SSE stream, its WebSocket and its queries with one token, an
// EventSource reconnecting) costs a hash instead of a signature check: an
// ES256 signature alone takes about 70 µs on a small machine.
//
// Only tokens that verified are cached, so a flood of forged tokens cannot
// fill it; the key is the whole token, signature included, so a hit is the
// very token verified before. What may change after a
// verification is handled on every hit or by the entry's deadline:
//   - exp is checked on every hit (leeway included), as the parser did;
//   - nbf and iat only matter before they pass, and the first check saw
//     them pass; max_ttl only becomes easier to meet as time goes on;
//   - a changed HMAC secret (a file rewritten) empties the cache, so a
//     removed secret stops being honoured at once;
//   - a JWKS key removed by its issuer is noticed at the next refresh
//     (auth.jwt.jwks_refresh): entries of public-key tokens live no longer
//     than that, the same delay a refresh has without the cache.
type verifiedTokens struct {
	mu      sync.Mutex
	entries map[string]verifiedToken
	bytes   int // of the keys
}

type verifiedToken struct {
	p        Principal
	deadline time.Time // when the entry stops being used (not exp)
}

func newVerifiedTokens() *verifiedTokens {
	return &verifiedTokens{entries: make(map[string]verifiedToken)}
}

// get returns the principal of a token verified before whose entry is
// still in use at now.
func (c *verifiedTokens) get(token string, now time.Time) (Principal, bool) {
	c.mu.Lock()
	e, ok := c.entries[token]
	c.mu.Unlock()
	if !ok || !now.Before(e.deadline) {
		return Principal{}, false
	}
	return e.p, true
}

// put remembers p until deadline. A full cache first drops the entries
// past their deadline, then an arbitrary one: the cache is a shortcut, and
// a dropped token is verified again in full.
func (c *verifiedTokens) put(token string, p Principal, deadline, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[token]; ok {
		return
	}
	full := func() bool {
		return len(c.entries) >= maxVerifiedTokens || c.bytes+len(token) > maxVerifiedBytes
	}
	if full() {
		for k, e := range c.entries {
			if !now.Before(e.deadline) {
				c.drop(k)
			}
		}
		for k := range c.entries {
			if !full() {
				break
			}
			c.drop(k)
		}
	}
	// A copy: token may be a slice of a whole header or query string.
	c.entries[strings.Clone(token)] = verifiedToken{p: p, deadline: deadline}
	c.bytes += len(token)
}

func (c *verifiedTokens) drop(token string) {
	delete(c.entries, token)
	c.bytes -= len(token)
}

// clear forgets every token (an HMAC secret changed).
func (c *verifiedTokens) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.bytes = 0
	c.mu.Unlock()
}

func (c *verifiedTokens) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
