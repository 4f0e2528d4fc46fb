package auth

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/evtctl/evtctl/internal/config"
)

const cacheSecret = "0123456789abcdef0123456789abcdef-cache"

func cachingJWT(t *testing.T) *JWT {
	t.Helper()
	c := config.Default().Auth.JWT
	c.Secrets = []string{cacheSecret}
	v, err := NewJWT(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

func hsToken(t *testing.T, exp time.Time) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "acme", "scope": "device:read", "exp": exp.Unix()}).SignedString([]byte(cacheSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVerifiedTokenAnsweredFromCache: a token verified once is answered
// without a signature check (here: with no secret left to check it), and
// only until its exp.
func TestVerifiedTokenAnsweredFromCache(t *testing.T) {
	v := cachingJWT(t)
	now := time.Now()
	v.now = func() time.Time { return now }
	tok := hsToken(t, now.Add(time.Minute))
	first, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	v.secrets.Store(&jwt.VerificationKeySet{}) // a full check would now fail
	again, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("second Verify = %v, want the cached principal", err)
	}
	if again.Owner != first.Owner || !again.ExpiresAt.Equal(first.ExpiresAt) {
		t.Fatalf("cached principal %+v, want %+v", again, first)
	}
	// Past exp the entry is not used: the full check runs and refuses.
	v.secrets.Store(&jwt.VerificationKeySet{Keys: []jwt.VerificationKey{[]byte(cacheSecret)}})
	now = now.Add(2 * time.Minute)
	if _, err := v.Verify(tok); err == nil || err.(*JWTError).Reason != "expired" {
		t.Fatalf("Verify after exp = %v, want expired", err)
	}
}

// TestRefusedTokenNotCached: only verified tokens are remembered, so
// forged tokens cannot fill the cache.
func TestRefusedTokenNotCached(t *testing.T) {
	v := cachingJWT(t)
	tok := hsToken(t, time.Now().Add(time.Minute))
	for i := 0; i < 3; i++ {
		if _, err := v.Verify(tok[:len(tok)-2] + "xx"); err == nil {
			t.Fatal("a forged signature verified")
		}
	}
	if n := v.verified.len(); n != 0 {
		t.Fatalf("%d cached tokens after refusals", n)
	}
}

// TestVerifiedTokensBounded: a full cache drops what is past its deadline
// first, then arbitrary entries, and never grows past its bound.
func TestVerifiedTokensBounded(t *testing.T) {
	c := newVerifiedTokens()
	now := time.Now()
	const stale = "stale"
	c.put(stale, Principal{Owner: "old"}, now.Add(time.Second), now)
	for i := 0; i < maxVerifiedTokens+500; i++ {
		c.put(fmt.Sprintf("tok-%d", i), Principal{Owner: "acme"}, now.Add(time.Hour), now.Add(2*time.Second))
		if n := c.len(); n > maxVerifiedTokens {
			t.Fatalf("%d entries, bound %d", n, maxVerifiedTokens)
		}
	}
	// Long tokens: the bytes bound holds too.
	long := strings.Repeat("x", 8<<10)
	for i := 0; i < 2*maxVerifiedBytes/len(long); i++ {
		c.put(fmt.Sprintf("%s-%d", long, i), Principal{Owner: "acme"}, now.Add(time.Hour), now.Add(2*time.Second))
		if c.bytes > maxVerifiedBytes {
			t.Fatalf("%d bytes of tokens, bound %d", c.bytes, maxVerifiedBytes)
		}
	}
	if _, ok := c.get(stale, now.Add(2*time.Second)); ok {
		t.Fatal("an entry past its deadline was answered")
	}
}
