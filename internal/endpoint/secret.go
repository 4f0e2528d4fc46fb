package endpoint

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"

	"github.com/evtctl/evtctl/internal/webhook/signing"
)

// SecretPrefix starts every webhook signing secret (Standard Webhooks).
const SecretPrefix = signing.SecretPrefix

// secretBytes is the length of the secrets the gateway generates: 24, as
// Svix does; users may set any length signing.DecodeSecret accepts.
const secretBytes = 24

// NewSecret returns a fresh random signing secret, "whsec_<base64>".
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// SecretKey returns the HMAC key of a "whsec_" secret (signing.DecodeSecret).
func SecretKey(secret string) ([]byte, error) { return signing.DecodeSecret(secret) }

// newID returns a random UUID (version 4). Endpoint ids double as the
// credential of the endpoint WebSocket, so they carry 122 random bits.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
