package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/pkg/proto"
)

// JWTKeyID is the KeyID of every principal authenticated by a JWT. A JWT
// is not stored, so it cannot be revoked: it ends at its exp.
const JWTKeyID = "jwt"

// MaxJWTDevices bounds the devices claim (each becomes a hub key and a log
// subject of the holder's all-devices stream).
// It is the stream package's MaxStreamDevices: a token's list is followed
// by one stream.
const MaxJWTDevices = 100

// maxJWTLen bounds what is parsed at all.
const maxJWTLen = 8 << 10

// secretCheckEvery is how often secret files are looked at again.
const secretCheckEvery = 2 * time.Second

// JWTError is a refused JWT; Reason is said to the client.
type JWTError struct{ Reason string }

func (e *JWTError) Error() string { return "JWT refused: " + e.Reason }

func refuse(format string, args ...any) error {
	return &JWTError{Reason: fmt.Sprintf(format, args...)}
}

// JWT verifies short-lived tokens minted by an application's backend
// (config auth.jwt) and maps their claims to a Principal. It is built once
// per server, so its JWKS cache outlives storage generations; Close ends
// the JWKS refresh.
type JWT struct {
	cfg    config.JWT
	log    *slog.Logger
	parser *jwt.Parser
	now    func() time.Time
	hmac   bool

	inline    [][]byte
	secrets   atomic.Pointer[jwt.VerificationKeySet] // inline + files
	filesMu   sync.Mutex
	files     []secretFile
	nextCheck atomic.Int64 // unix nanos when the files are looked at again

	verified *verifiedTokens
	names    claimNames
	jwks     keyfunc.Keyfunc // nil without JWKS URLs
	// unknownKID allows a fetch of the JWKS for a token naming a kid none
	// holds, at most once per jwks_min_refresh.
	unknownKID *rate.Limiter
	transport  *http.Transport
	ctx        context.Context
	cancel     context.CancelFunc
}

type secretFile struct {
	path  string
	mod   time.Time
	size  int64
	value []byte
}

// NewJWT builds the verifier of cfg; nil, nil when cfg configures none.
// The JWKS URLs are fetched once before it returns (a failure is logged,
// not fatal: the next refresh or unknown kid tries again).
func NewJWT(cfg config.JWT, log *slog.Logger) (*JWT, error) {
	if !cfg.Configured() {
		return nil, nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v := &JWT{cfg: cfg, log: log, now: time.Now, verified: newVerifiedTokens(),
		names: claimNames{owner: cfg.OwnerClaim, scopes: cfg.ScopesClaim, devices: cfg.DevicesClaim}}
	for _, s := range cfg.Secrets {
		v.inline = append(v.inline, []byte(s))
	}
	for _, p := range cfg.SecretFiles {
		v.files = append(v.files, secretFile{path: p})
	}
	if err := v.reloadSecrets(true); err != nil {
		return nil, err
	}
	v.hmac = len(v.inline)+len(v.files) > 0
	algs := cfg.Algorithms
	if len(algs) == 0 {
		if v.hmac {
			algs = append(algs, config.HMACAlgorithms...)
		}
		if len(cfg.JWKSURLs) > 0 {
			algs = append(algs, config.PublicKeyAlgorithms...)
		}
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(algs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	v.ctx, v.cancel = context.WithCancel(context.Background())
	if len(cfg.JWKSURLs) > 0 {
		v.unknownKID = rate.NewLimiter(rate.Every(cfg.JWKSMinRefresh), 1)
		v.transport = http.DefaultTransport.(*http.Transport).Clone()
		client := &http.Client{Timeout: 10 * time.Second, Transport: v.transport}
		urls := map[string]jwkset.Storage{}
		for _, u := range cfg.JWKSURLs {
			st, err := jwkset.NewStorageFromHTTP(u, jwkset.HTTPClientStorageOptions{
				Client:                    client,
				Ctx:                       v.ctx,
				HTTPTimeout:               10 * time.Second,
				NoErrorReturnFirstHTTPReq: true,
				RefreshInterval:           cfg.JWKSRefresh,
				RefreshErrorHandler: func(_ context.Context, err error) {
					log.Warn("JWKS fetch failed; the keys fetched before stay in use", "url", u, "err", err)
				},
			})
			if err != nil {
				v.cancel()
				return nil, fmt.Errorf("auth.jwt.jwks_urls: %w", err)
			}
			urls[u] = st
		}
		storage, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
			HTTPURLs: urls,
			// No wait bound here: jwkset applies it to the fetch too, so a
			// bound short enough to refuse at once while the limit holds
			// would fail every fetch slower than itself. keyFor bounds
			// each lookup instead (jwksLookupTimeout).
			RefreshUnknownKID: v.unknownKID,
		})
		if err != nil {
			v.cancel()
			return nil, fmt.Errorf("auth.jwt.jwks_urls: %w", err)
		}
		v.jwks, err = keyfunc.New(keyfunc.Options{Ctx: v.ctx, Storage: storage, UseWhitelist: []jwkset.USE{jwkset.UseSig, ""}})
		if err != nil {
			v.cancel()
			return nil, err
		}
	}
	return v, nil
}

// Close ends the JWKS refresh.
func (v *JWT) Close() {
	if v != nil {
		v.cancel()
		if v.transport != nil {
			v.transport.CloseIdleConnections()
		}
	}
}

// reloadSecrets reads the secret files that changed (all of them when
// first) and publishes the secrets.
func (v *JWT) reloadSecrets(first bool) error {
	v.filesMu.Lock()
	defer v.filesMu.Unlock()
	changed := first
	for i := range v.files {
		f := &v.files[i]
		st, err := os.Stat(f.path)
		if err != nil {
			if first {
				return fmt.Errorf("auth.jwt.secret_files: %w", err)
			}
			v.log.Warn("JWT secret file unreadable; its last value stays in use", "path", f.path, "err", err)
			continue
		}
		if !first && st.ModTime().Equal(f.mod) && st.Size() == f.size {
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			if first {
				return fmt.Errorf("auth.jwt.secret_files: %w", err)
			}
			v.log.Warn("JWT secret file unreadable; its last value stays in use", "path", f.path, "err", err)
			continue
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(b) < config.MinJWTSecret {
			if first {
				return fmt.Errorf("auth.jwt.secret_files: %s holds %d bytes; an HMAC secret needs %d or more", f.path, len(b), config.MinJWTSecret)
			}
			v.log.Warn("JWT secret file too short; its last value stays in use", "path", f.path, "bytes", len(b))
			continue
		}
		f.mod, f.size, f.value = st.ModTime(), st.Size(), b
		changed = true
		if !first {
			v.log.Info("JWT secret file reloaded", "path", f.path)
		}
	}
	if changed {
		ks := jwt.VerificationKeySet{}
		for _, s := range v.inline {
			ks.Keys = append(ks.Keys, s)
		}
		for _, f := range v.files {
			if f.value != nil {
				ks.Keys = append(ks.Keys, f.value)
			}
		}
		v.secrets.Store(&ks)
		if !first {
			v.verified.clear()
		}
	}
	v.nextCheck.Store(time.Now().Add(secretCheckEvery).UnixNano())
	return nil
}

// SigningSecret returns the first HMAC secret (the one evtctl keys token
// signs with).
func (v *JWT) SigningSecret() ([]byte, bool) {
	ks := v.secrets.Load()
	if ks == nil || len(ks.Keys) == 0 {
		return nil, false
	}
	return ks.Keys[0].([]byte), true
}

// LooksLikeJWT reports whether token has the shape of a compact JWS: three
// base64url segments (an API key, evt_…, has none of its dots).
func LooksLikeJWT(token string) bool {
	if strings.Count(token, ".") != 2 || len(token) > maxJWTLen {
		return false
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// keyFor returns the keys that may have signed t: the HMAC secrets for an
// HS algorithm, the JWKS key of its kid otherwise. Which algorithms are
// accepted at all is the parser's WithValidMethods; a key of the wrong type
// for the algorithm (an RSA key given as an HMAC secret) fails to verify.
func (v *JWT) keyFor(t *jwt.Token) (any, error) {
	if _, ok := t.Method.(*jwt.SigningMethodHMAC); ok {
		if !v.hmac {
			return nil, refuse("HMAC-signed tokens are not accepted here")
		}
		return *v.secrets.Load(), nil
	}
	if v.jwks == nil {
		return nil, refuse("no JWKS is configured for %s", t.Method.Alg())
	}
	// A kid the JWKS holds is found at once. An unknown one fetches the
	// JWKS again when the limiter allows it, within jwksLookupTimeout; when
	// it does not, the lookup's deadline is already shorter than the wait,
	// so the limiter refuses at once instead of making the request wait.
	timeout := jwksLookupTimeout
	if v.unknownKID.Tokens() < 1 {
		timeout = time.Millisecond
	}
	ctx, cancel := context.WithTimeout(v.ctx, timeout)
	defer cancel()
	return v.jwks.KeyfuncCtx(ctx)(t)
}

// jwksLookupTimeout bounds a JWKS fetch made for a token naming an unknown
// kid (the request waits for it).
const jwksLookupTimeout = 10 * time.Second

// Verify checks token and returns its principal. A token verified before
// is answered from the verified-token cache (jwtcache.go).
func (v *JWT) Verify(token string) (Principal, error) {
	if len(v.files) > 0 && time.Now().UnixNano() >= v.nextCheck.Load() {
		_ = v.reloadSecrets(false) // empties the cache when a secret changed
	}
	now := v.now()
	if p, ok := v.verified.get(token, now); ok {
		return p, nil
	}
	p, t, err := v.verify(token)
	if err != nil {
		return Principal{}, err
	}
	deadline := p.ExpiresAt.Add(v.cfg.Leeway)
	if _, hmac := t.Method.(*jwt.SigningMethodHMAC); !hmac {
		deadline = minTime(deadline, now.Add(v.cfg.JWKSRefresh))
	}
	v.verified.put(token, p, deadline, now)
	return p, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// verify checks token in full: signature, registered claims, the claims
// mapped to the principal.
func (v *JWT) verify(token string) (Principal, *jwt.Token, error) {
	claims := &tokenClaims{names: &v.names}
	t, err := v.parser.ParseWithClaims(token, claims, v.keyFor)
	if err != nil {
		return Principal{}, nil, jwtReason(err)
	}
	p, err := v.principal(claims)
	return p, t, err
}

// principal maps verified claims to the caller.
func (v *JWT) principal(c *tokenClaims) (Principal, error) {
	if c.exp == nil {
		return Principal{}, refuse("exp is required")
	}
	if v.cfg.MaxTTL > 0 && c.exp.Sub(v.now()) > v.cfg.MaxTTL+v.cfg.Leeway {
		return Principal{}, refuse("it expires more than auth.jwt.max_ttl (%s) from now", v.cfg.MaxTTL)
	}
	if !c.ownerOK || c.owner == "" {
		return Principal{}, refuse("claim %q (the tenant) is missing or not a string", v.cfg.OwnerClaim)
	}
	if reason := proto.CheckOwner(c.owner); reason != "" {
		return Principal{}, refuse("claim %q: %s", v.cfg.OwnerClaim, reason)
	}
	if c.err != nil {
		return Principal{}, c.err
	}
	scopes, err := v.scopes(c.scopes)
	if err != nil {
		return Principal{}, err
	}
	devices, err := v.devices(c)
	if err != nil {
		return Principal{}, err
	}
	name := c.jti
	if proto.CheckText(name, 200) != "" {
		name = ""
	}
	return Principal{KeyID: JWTKeyID, Name: name, Owner: c.owner, Scopes: scopes, Devices: devices, ExpiresAt: c.exp.Time}, nil
}

// scopes keeps the scopes evtctl knows, once each; admin is refused.
func (v *JWT) scopes(all []string) ([]string, error) {
	var out []string
	for _, s := range all {
		switch {
		case s == proto.ScopeAdmin:
			return nil, refuse("the admin scope cannot be granted by a JWT; use an API key")
		case slices.Contains(proto.Scopes(), s) && !slices.Contains(out, s):
			out = append(out, s)
		}
	}
	return out, nil
}

func (v *JWT) devices(c *tokenClaims) ([]string, error) {
	if !c.devicesPresent {
		return nil, nil
	}
	list := c.devices
	if len(list) == 0 {
		return nil, refuse("claim %q lists no device (leave it out to allow every device)", v.cfg.DevicesClaim)
	}
	if len(list) > MaxJWTDevices {
		return nil, refuse("claim %q lists %d devices, at most %d", v.cfg.DevicesClaim, len(list), MaxJWTDevices)
	}
	out := make([]string, 0, len(list))
	for _, d := range list {
		if reason := proto.CheckIdent(d); reason != "" {
			return nil, refuse("claim %q: device %q: %s", v.cfg.DevicesClaim, clip(d), reason)
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// jwtReason turns the parser's error into what the client is told.
func jwtReason(err error) error {
	var je *JWTError
	if errors.As(err, &je) {
		return je
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return refuse("malformed")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return refuse("exp is required")
	case errors.Is(err, jwt.ErrTokenExpired):
		return &JWTError{Reason: "expired"}
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return refuse("not valid yet (nbf)")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return refuse("issued in the future (iat)")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return refuse("wrong audience (aud)")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return refuse("wrong issuer (iss)")
	case errors.Is(err, keyfunc.ErrKeyfunc), errors.Is(err, jwkset.ErrKeyNotFound):
		return refuse("no key of the configured JWKS verifies it (unknown kid?)")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		if strings.Contains(err.Error(), "signing method") {
			return refuse("its algorithm is not accepted here")
		}
		return refuse("bad signature")
	}
	return refuse("invalid")
}

// IsExpired reports whether err refuses an expired JWT.
func (e *JWTError) IsExpired() bool { return e.Reason == "expired" }
