package auth

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/evtctl/evtctl/pkg/proto"
)

// tokenClaims is what a JWT's claims are decoded into: the registered
// claims the parser validates and the three the gateway maps to a
// principal, under the names configured (auth.jwt.*_claim). Decoding reads
// only those members of the object and skips the rest without building
// them, which makes a token's check about a third cheaper than a generic
// map of claims (docs/performance.md#jwt-verification). Names match
// exactly, as JWT claim names are case-sensitive.
type tokenClaims struct {
	names *claimNames

	exp, nbf, iat *jwt.NumericDate
	iss, jti      string
	aud           jwt.ClaimStrings

	owner           string
	ownerOK         bool // present and a string
	scopes, devices []string
	devicesPresent  bool
	// err is a mapped claim of the wrong type, reported once the signature
	// is known to be good (a refusal names the claim).
	err error
}

// claimNames are the configured names of the mapped claims.
type claimNames struct{ owner, scopes, devices string }

// UnmarshalJSON reads the members tokenClaims knows with proto.Members,
// the project's JSON object walker: the others are skipped without being
// built, and the whole value is checked to be a JSON object.
func (c *tokenClaims) UnmarshalJSON(b []byte) error {
	var err error
	walkErr := proto.Members(b, c.wanted, func(key string, val []byte) bool {
		err = c.member(key, val)
		return err == nil
	})
	if walkErr != nil {
		return walkErr
	}
	return err
}

// wanted reports whether key is a claim tokenClaims reads.
func (c *tokenClaims) wanted(key []byte) bool {
	switch string(key) {
	case "exp", "nbf", "iat", "iss", "aud", "jti", c.names.owner, c.names.scopes, c.names.devices:
		return true
	}
	return false
}

// member reads one claim; an error is a malformed registered claim.
func (c *tokenClaims) member(key string, val []byte) error {
	var err error
	switch key {
	case "exp":
		c.exp, err = numericDate(val)
	case "nbf":
		c.nbf, err = numericDate(val)
	case "iat":
		c.iat, err = numericDate(val)
	case "iss":
		err = json.Unmarshal(val, &c.iss)
	case "aud":
		c.aud = nil
		err = c.aud.UnmarshalJSON(val)
	case "jti":
		c.jti, _ = jsonString(val) // only a name for logs: ignored if not a string
	}
	if err != nil {
		return err
	}
	// Not a switch: one claim may serve several purposes (owner_claim
	// set to sub, or to iss).
	if key == c.names.owner {
		c.owner, c.ownerOK = jsonString(val)
	}
	if key == c.names.scopes {
		c.scopes, err = stringsClaim(key, val)
		c.keep(err)
	}
	if key == c.names.devices {
		c.devices, err = stringsClaim(key, val)
		c.devicesPresent = true
		c.keep(err)
	}
	return nil
}

func (c *tokenClaims) keep(err error) {
	if err != nil && c.err == nil {
		c.err = err
	}
}

func numericDate(val []byte) (*jwt.NumericDate, error) {
	if string(val) == "null" {
		return nil, nil
	}
	// Whole seconds, as nearly every issuer writes them, without the
	// decoder jwt.NumericDate uses for fractions and exponents.
	if n, err := strconv.ParseInt(string(val), 10, 64); err == nil && n > -1<<40 && n < 1<<40 {
		return jwt.NewNumericDate(time.Unix(n, 0)), nil
	}
	d := new(jwt.NumericDate)
	if err := d.UnmarshalJSON(val); err != nil {
		return nil, err
	}
	return d, nil
}

// jsonString returns the string val holds, false when it is not a string.
func jsonString(val []byte) (string, bool) {
	if len(val) < 2 || val[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(val, '\\') < 0 {
		return string(val[1 : len(val)-1]), true
	}
	var s string
	if json.Unmarshal(val, &s) != nil {
		return "", false
	}
	return s, true
}

// stringsClaim reads a claim that is a space-separated string or an array
// of strings.
func stringsClaim(name string, val []byte) ([]string, error) {
	if s, ok := jsonString(val); ok {
		return strings.Fields(s), nil
	}
	if string(val) == "null" {
		return nil, nil
	}
	if len(val) == 0 || val[0] != '[' {
		return nil, refuse("claim %q must be a string or an array of strings", name)
	}
	var list []string
	if json.Unmarshal(val, &list) != nil {
		return nil, refuse("claim %q must hold strings", name)
	}
	return list, nil
}

// The jwt.Claims methods the parser's validator calls.

func (c *tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.exp, nil }
func (c *tokenClaims) GetNotBefore() (*jwt.NumericDate, error)      { return c.nbf, nil }
func (c *tokenClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.iat, nil }
func (c *tokenClaims) GetIssuer() (string, error)                   { return c.iss, nil }
func (c *tokenClaims) GetAudience() (jwt.ClaimStrings, error)       { return c.aud, nil }

// GetSubject is not checked by the gateway (the owner claim is mapped
// instead); it is here for the interface.
func (c *tokenClaims) GetSubject() (string, error) { return "", nil }
