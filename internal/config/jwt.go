package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Auth is how callers other than API keys authenticate.
type Auth struct {
	JWT JWT `yaml:"jwt"`
}

// JWT is short-lived tokens minted by the application's backend
// (docs/security.md#jwt): signed with an HMAC secret shared with the
// gateway, or with a private key whose public half a JWKS URL serves.
type JWT struct {
	Secrets        []string      `yaml:"secrets" doc:"HMAC secrets (HS256, HS384, HS512) accepted for tokens, 32 bytes or more each; list two while rotating (every one is tried; evtctl keys token signs with the first). Prefer secret_files or the environment to the file."`
	SecretFiles    []string      `yaml:"secret_files" doc:"Files each holding one HMAC secret (a final newline is ignored), read again within 2s of a change: rotate by rewriting them, without a restart."`
	JWKSURLs       []string      `yaml:"jwks_urls" doc:"URLs of JSON Web Key Sets whose public keys (RSA, ECDSA P-256/384/521, Ed25519) verify tokens; fetched at start, then every jwks_refresh and when a token names an unknown kid."`
	JWKSRefresh    time.Duration `yaml:"jwks_refresh" doc:"How often each JWKS is fetched again."`
	JWKSMinRefresh time.Duration `yaml:"jwks_min_refresh" doc:"A token naming a kid no JWKS holds fetches them again at most once per this interval; other such tokens get 401 meanwhile."`
	Algorithms     []string      `yaml:"algorithms" doc:"Signature algorithms accepted (alg); [] = HS256, HS384, HS512 when HMAC secrets are set, and RS256/384/512, PS256/384/512, ES256/384/512, EdDSA when JWKS URLs are. \"none\" is never accepted."`
	Issuer         string        `yaml:"issuer" doc:"Required iss claim; empty = not checked."`
	Audience       string        `yaml:"audience" doc:"Required aud claim (one of the token's audiences); empty = not checked."`
	OwnerClaim     string        `yaml:"owner_claim" doc:"Claim naming the tenant (owner) of the token's holder, e.g. sub or tenant."`
	ScopesClaim    string        `yaml:"scopes_claim" doc:"Claim holding the scopes, a space-separated string or an array; scopes evtctl does not know are ignored, admin is refused."`
	DevicesClaim   string        `yaml:"devices_claim" doc:"Claim listing the devices whose SSE streams the holder may open (array or space-separated string); absent = every device of the tenant."`
	Leeway         time.Duration `yaml:"leeway" doc:"Clock skew allowed when checking exp, nbf and iat."`
	MaxTTL         time.Duration `yaml:"max_ttl" doc:"Longest lifetime accepted: a token expiring later than this from now is refused; 0 = no limit."`
}

// Configured reports whether any JWT key source is set.
func (j JWT) Configured() bool {
	return len(j.Secrets) > 0 || len(j.SecretFiles) > 0 || len(j.JWKSURLs) > 0
}

// HMACAlgorithms and PublicKeyAlgorithms are the algorithms of each kind
// of key source.
var (
	HMACAlgorithms      = []string{"HS256", "HS384", "HS512"}
	PublicKeyAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

// MinJWTSecret is the shortest HMAC secret accepted (RFC 7518 3.2: a key
// at least as long as the hash).
const MinJWTSecret = 32

func defaultAuth() Auth {
	return Auth{JWT: JWT{
		JWKSRefresh:    15 * time.Minute,
		JWKSMinRefresh: 30 * time.Second,
		OwnerClaim:     "sub",
		ScopesClaim:    "scope",
		DevicesClaim:   "devices",
		MaxTTL:         24 * time.Hour,
	}}
}

func validateAuth(c *checker, a Auth) {
	j := a.JWT
	for i, s := range j.Secrets {
		if len(s) < MinJWTSecret {
			c.add(fmt.Sprintf("auth.jwt.secrets[%d]", i), "is %d bytes; an HMAC secret needs %d or more (openssl rand -base64 48)", len(s), MinJWTSecret)
		}
	}
	for i, f := range j.SecretFiles {
		if strings.TrimSpace(f) == "" {
			c.add(fmt.Sprintf("auth.jwt.secret_files[%d]", i), "must not be empty")
		}
	}
	for i, u := range j.JWKSURLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			c.add(fmt.Sprintf("auth.jwt.jwks_urls[%d]", i), "must be an http(s) URL, got %q", u)
		}
	}
	c.positiveDuration("auth.jwt.jwks_refresh", j.JWKSRefresh)
	c.positiveDuration("auth.jwt.jwks_min_refresh", j.JWKSMinRefresh)
	for i, alg := range j.Algorithms {
		key := fmt.Sprintf("auth.jwt.algorithms[%d]", i)
		switch {
		case slices.Contains(HMACAlgorithms, alg):
			if len(j.Secrets)+len(j.SecretFiles) == 0 {
				c.add(key, "%s needs auth.jwt.secrets or auth.jwt.secret_files", alg)
			}
		case slices.Contains(PublicKeyAlgorithms, alg):
			if len(j.JWKSURLs) == 0 {
				c.add(key, "%s needs auth.jwt.jwks_urls", alg)
			}
		default:
			c.add(key, "%q is not an accepted algorithm (want one of %s)", alg, strings.Join(append(slices.Clone(HMACAlgorithms), PublicKeyAlgorithms...), ", "))
		}
	}
	for _, cl := range []struct{ key, v string }{{"owner_claim", j.OwnerClaim}, {"scopes_claim", j.ScopesClaim}, {"devices_claim", j.DevicesClaim}} {
		if strings.TrimSpace(cl.v) == "" {
			c.add("auth.jwt."+cl.key, "must name a claim")
		}
	}
	c.nonNegativeDuration("auth.jwt.leeway", j.Leeway)
	c.nonNegativeDuration("auth.jwt.max_ttl", j.MaxTTL)
}
