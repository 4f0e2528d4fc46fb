package auth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/testkit"
)

const secretA = "0123456789abcdef0123456789abcdef-secret-A"
const secretB = "0123456789abcdef0123456789abcdef-secret-B"

func jwtConfig() config.JWT {
	c := config.Default().Auth.JWT
	return c
}

func claims(extra map[string]any) jwt.MapClaims {
	c := jwt.MapClaims{"sub": "acme", "scope": "device:read events:read openid", "exp": time.Now().Add(10 * time.Minute).Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func signHS(t testing.TB, secret string, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sign(t testing.TB, m jwt.SigningMethod, kid string, key crypto.Signer, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newJWT(t testing.TB, c config.JWT) *auth.JWT {
	t.Helper()
	v, err := auth.NewJWT(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

func refusal(t *testing.T, v *auth.JWT, tok, want string) {
	t.Helper()
	_, err := v.Verify(tok)
	var je *auth.JWTError
	if !errors.As(err, &je) {
		t.Fatalf("Verify = %v, want a refusal containing %q", err, want)
	}
	if !strings.Contains(je.Reason, want) {
		t.Fatalf("refused for %q, want %q", je.Reason, want)
	}
}

func TestJWTHMACClaims(t *testing.T) {
	c := jwtConfig()
	c.Secrets = []string{secretA}
	v := newJWT(t, c)
	exp := time.Now().Add(5 * time.Minute).Truncate(time.Second)
	p, err := v.Verify(signHS(t, secretA, claims(map[string]any{"exp": exp.Unix(), "devices": []string{"cam-1", "cam-2", "cam-1"}, "jti": "j1"})))
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != auth.JWTKeyID || !p.JWT() || p.Owner != "acme" || p.Name != "j1" || !p.ExpiresAt.Equal(exp) {
		t.Fatalf("principal %+v", p)
	}
	if !slices.Equal(p.Scopes, []string{"device:read", "events:read"}) || !slices.Equal(p.Devices, []string{"cam-1", "cam-2"}) {
		t.Fatalf("scopes %v devices %v", p.Scopes, p.Devices)
	}
	if !p.MayStream("cam-2") || p.MayStream("cam-3") {
		t.Fatal("MayStream")
	}
	// Array scopes, no devices claim (every device), another owner claim.
	c.OwnerClaim, c.ScopesClaim = "tenant", "scp"
	v = newJWT(t, c)
	p, err = v.Verify(signHS(t, secretA, claims(map[string]any{"tenant": "globex", "scp": []string{"analytics:read"}})))
	if err != nil {
		t.Fatal(err)
	}
	if p.Owner != "globex" || !slices.Equal(p.Scopes, []string{"analytics:read"}) || p.Devices != nil || !p.MayStream("any") {
		t.Fatalf("principal %+v", p)
	}
}

func TestJWTRefusals(t *testing.T) {
	c := jwtConfig()
	c.Secrets = []string{secretA}
	c.Issuer, c.Audience = "https://app.example", "evtctl"
	v := newJWT(t, c)
	ok := map[string]any{"iss": "https://app.example", "aud": "evtctl"}
	with := func(m map[string]any) jwt.MapClaims {
		all := map[string]any{}
		for k, x := range ok {
			all[k] = x
		}
		for k, x := range m {
			all[k] = x
		}
		return claims(all)
	}
	if _, err := v.Verify(signHS(t, secretA, with(nil))); err != nil {
		t.Fatal(err)
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, with(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	for _, tc := range []struct{ name, tok, want string }{
		{"expired", signHS(t, secretA, with(map[string]any{"exp": time.Now().Add(-time.Second).Unix()})), "expired"},
		{"no exp", signHS(t, secretA, with(map[string]any{"exp": nil})), "exp is required"},
		{"nbf in future", signHS(t, secretA, with(map[string]any{"nbf": time.Now().Add(time.Minute).Unix()})), "not valid yet"},
		{"wrong aud", signHS(t, secretA, with(map[string]any{"aud": "other"})), "audience"},
		{"wrong iss", signHS(t, secretA, with(map[string]any{"iss": "https://evil.example"})), "issuer"},
		{"other secret", signHS(t, secretB, with(nil)), "bad signature"},
		{"alg none", none, "algorithm is not accepted"},
		{"RS256 without JWKS", sign(t, jwt.SigningMethodRS256, "k", rsaKey, with(nil)), "algorithm is not accepted"},
		{"bad owner", signHS(t, secretA, with(map[string]any{"sub": "acme corp\n"})), `claim "sub"`},
		{"no owner", signHS(t, secretA, with(map[string]any{"sub": nil})), `claim "sub"`},
		{"admin scope", signHS(t, secretA, with(map[string]any{"scope": "admin"})), "admin scope"},
		{"bad device", signHS(t, secretA, with(map[string]any{"devices": []string{strings.Repeat("x", 300)}})), `claim "devices"`},
		{"empty devices", signHS(t, secretA, with(map[string]any{"devices": []string{}})), "lists no device"},
		{"too long-lived", signHS(t, secretA, with(map[string]any{"exp": time.Now().Add(48 * time.Hour).Unix()})), "max_ttl"},
		{"malformed", "a.b.c", "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) { refusal(t, v, tc.tok, tc.want) })
	}
}

// TestJWTHMACOnlyJWKSConfigured: an HMAC token is refused by a gateway
// verifying with a JWKS only, even signed with the JWKS's public key bytes
// (the RS/HS confusion).
func TestJWTHMACWhenOnlyJWKS(t *testing.T) {
	js := newJWKSServer(t)
	c := jwtConfig()
	c.JWKSURLs = []string{js.srv.URL}
	v := newJWT(t, c)
	refusal(t, v, signHS(t, secretA, claims(nil)), "algorithm is not accepted")
	pub, _ := json.Marshal(js.current()[0].pub)
	refusal(t, v, signHS(t, string(pub), claims(map[string]any{})), "algorithm is not accepted")
}

// TestJWTSecretFileRotation: a secret file rewritten is used within
// seconds, without a restart; both secrets of a rotation are accepted.
func TestJWTSecretFileRotation(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "secret")
	if err := os.WriteFile(f, []byte(secretA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := jwtConfig()
	c.Secrets = []string{secretB}
	c.SecretFiles = []string{f}
	v := newJWT(t, c)
	// tokA is verified (and so cached) before its secret is removed: the
	// cache must not keep honouring it.
	tokA := signHS(t, secretA, claims(nil))
	for _, tok := range []string{tokA, signHS(t, secretB, claims(nil))} {
		if _, err := v.Verify(tok); err != nil {
			t.Fatal(err)
		}
	}
	const secretC = "0123456789abcdef0123456789abcdef-secret-C"
	if err := os.WriteFile(f, []byte(secretC), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := signHS(t, secretC, claims(nil))
	testkit.Eventually(t, 5*time.Second, "the rewritten secret file in use", func() bool { _, err := v.Verify(tok); return err == nil })
	refusal(t, v, tokA, "bad signature")
}

type jwksKey struct {
	kid    string
	method jwt.SigningMethod
	priv   crypto.Signer
	pub    jwkset.JWKMarshal
}

type jwksServer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    []jwksKey
	fetches atomic.Int32
	delay   atomic.Int64 // nanoseconds each answer waits (a remote JWKS)
}

func newKey(t testing.TB, kid string, m jwt.SigningMethod) jwksKey {
	t.Helper()
	var priv crypto.Signer
	var alg jwkset.ALG
	switch m {
	case jwt.SigningMethodRS256:
		priv, _ = rsa.GenerateKey(rand.Reader, 2048)
		alg = jwkset.AlgRS256
	case jwt.SigningMethodES256:
		priv, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		alg = jwkset.AlgES256
	default:
		_, priv, _ = ed25519.GenerateKey(rand.Reader)
		alg = jwkset.AlgEdDSA
	}
	k, err := jwkset.NewJWKFromKey(priv.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid, ALG: alg, USE: jwkset.UseSig}})
	if err != nil {
		t.Fatal(err)
	}
	return jwksKey{kid: kid, method: m, priv: priv, pub: k.Marshal()}
}

func newJWKSServer(t testing.TB) *jwksServer {
	js := &jwksServer{keys: []jwksKey{
		newKey(t, "rsa-1", jwt.SigningMethodRS256),
		newKey(t, "ec-1", jwt.SigningMethodES256),
		newKey(t, "ed-1", jwt.SigningMethodEdDSA),
	}}
	js.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		js.fetches.Add(1)
		time.Sleep(time.Duration(js.delay.Load()))
		var set jwkset.JWKSMarshal
		for _, k := range js.current() {
			set.Keys = append(set.Keys, k.pub)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(js.srv.Close)
	return js
}

func (js *jwksServer) current() []jwksKey {
	js.mu.Lock()
	defer js.mu.Unlock()
	return slices.Clone(js.keys)
}

func (js *jwksServer) set(keys ...jwksKey) {
	js.mu.Lock()
	js.keys = keys
	js.mu.Unlock()
}

func TestJWTJWKS(t *testing.T) {
	js := newJWKSServer(t)
	c := jwtConfig()
	c.JWKSURLs = []string{js.srv.URL}
	c.JWKSRefresh = 200 * time.Millisecond
	c.JWKSMinRefresh = time.Hour // only the periodic refresh below
	v := newJWT(t, c)
	keys := js.current()
	for _, k := range keys {
		p, err := v.Verify(sign(t, k.method, k.kid, k.priv, claims(nil)))
		if err != nil {
			t.Fatalf("%s: %v", k.kid, err)
		}
		if p.Owner != "acme" {
			t.Fatalf("%s: %+v", k.kid, p)
		}
	}
	// A key used with another algorithm than its JWK's, and a token signed
	// by a key the JWKS does not hold under that kid, are refused.
	refusal(t, v, sign(t, jwt.SigningMethodRS384, "rsa-1", keys[0].priv, claims(nil)), "")
	other := newKey(t, "rsa-1", jwt.SigningMethodRS256)
	refusal(t, v, sign(t, other.method, "rsa-1", other.priv, claims(nil)), "bad signature")
	// HMAC is not configured: an HS token is refused.
	refusal(t, v, signHS(t, secretA, claims(nil)), "algorithm is not accepted")

	// Rotation: the JWKS now serves a new key and not rsa-1; the periodic
	// refresh picks it up without a restart.
	// The old key's token is verified (and so cached) before the rotation:
	// the cache must not keep honouring it.
	old := sign(t, keys[0].method, keys[0].kid, keys[0].priv, claims(nil))
	if _, err := v.Verify(old); err != nil {
		t.Fatal(err)
	}
	rotated := newKey(t, "rsa-2", jwt.SigningMethodRS256)
	js.set(rotated, keys[1], keys[2])
	tok := sign(t, rotated.method, rotated.kid, rotated.priv, claims(nil))
	testkit.Eventually(t, 5*time.Second, "the rotated JWKS in use", func() bool {
		_, err1 := v.Verify(tok)
		_, err2 := v.Verify(old)
		return err1 == nil && err2 != nil
	})
}

// TestJWTUnknownKidRefresh: a token naming a kid the cache lacks fetches the
// JWKS again at once, but no more than once per jwks_min_refresh.
func TestJWTUnknownKidRefresh(t *testing.T) {
	js := newJWKSServer(t)
	c := jwtConfig()
	c.JWKSURLs = []string{js.srv.URL}
	c.JWKSRefresh = time.Hour
	c.JWKSMinRefresh = time.Hour
	v := newJWT(t, c)
	if n := js.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches at start, want 1", n)
	}
	nk := newKey(t, "ec-2", jwt.SigningMethodES256)
	js.set(append(js.current(), nk)...)
	// The JWKS answers as slowly as a remote one: the fetch must not be
	// cut short by the limiter's no-wait rule.
	js.delay.Store(int64(100 * time.Millisecond))
	if _, err := v.Verify(sign(t, nk.method, nk.kid, nk.priv, claims(nil))); err != nil {
		t.Fatalf("unknown kid not refreshed: %v", err)
	}
	if n := js.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	// Another unknown kid within the interval: refused without a fetch.
	refusal(t, v, sign(t, nk.method, "nope", nk.priv, claims(nil)), "")
	if n := js.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches after a rate-limited unknown kid, want 2", n)
	}
}

func TestLooksLikeJWT(t *testing.T) {
	for tok, want := range map[string]bool{
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln": true,
		"evt_abcdefghijkl_secret":                   false,
		"a.b":                                       false,
		"a.b.c.d":                                   false,
		"a.b c.d":                                   false,
	} {
		if got := auth.LooksLikeJWT(tok); got != want {
			t.Errorf("LooksLikeJWT(%q) = %v", tok, got)
		}
	}
}

// BenchmarkJWTVerify is the cost a JWT adds to a stream open: parsing,
// signature and claims, with the JWKS cached (docs/performance.md).
func BenchmarkJWTVerify(b *testing.B) {
	js := newJWKSServer(b)
	c := jwtConfig()
	c.Secrets = []string{secretA}
	c.JWKSURLs = []string{js.srv.URL}
	v := newJWT(b, c)
	toks := map[string]string{"HS256": signHS(b, secretA, claims(map[string]any{"devices": []string{"cam-1"}}))}
	for _, k := range js.current() {
		toks[k.method.Alg()] = sign(b, k.method, k.kid, k.priv, claims(map[string]any{"devices": []string{"cam-1"}}))
	}
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		// The first presentation of a token: the verified-token cache is
		// emptied before each check.
		b.Run(alg, func(b *testing.B) {
			tok := toks[alg]
			for b.Loop() {
				v.ForgetVerified()
				if _, err := v.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The same token again (another stream of the same page, a
		// reconnect): answered from the cache.
		b.Run(alg+"/again", func(b *testing.B) {
			tok := toks[alg]
			for b.Loop() {
				if _, err := v.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
