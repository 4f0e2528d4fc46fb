package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Tokens look like evt_<12-char key id>_<43-char secret>. The key id lets the
// server find the stored hash in O(1); only the SHA-256 of the secret is
// stored. A plain hash (not bcrypt) is right here: the secret is 256 random
// bits, so there is nothing to brute-force, and the hot path authenticates
// every stream connection.
const (
	tokenPrefix = "evt_"
	keyIDLen    = 12
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random identifier of n lower-case base32 characters.
func NewID(n int) string {
	b := make([]byte, (n*5+7)/8)
	_, _ = rand.Read(b)
	return idEncoding.EncodeToString(b)[:n]
}

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// splitToken returns the key id and secret of a well-formed token.
func splitToken(tok string) (id, secret string, ok bool) {
	if !strings.HasPrefix(tok, tokenPrefix) {
		return "", "", false
	}
	rest := tok[len(tokenPrefix):]
	if len(rest) < keyIDLen+2 || rest[keyIDLen] != '_' {
		return "", "", false
	}
	return rest[:keyIDLen], rest[keyIDLen+1:], true
}

func equalHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
