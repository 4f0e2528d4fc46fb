// Package signing signs and verifies webhook requests per Standard Webhooks
// (https://www.standardwebhooks.com): the webhook-id, webhook-timestamp and
// webhook-signature headers, "v1,<base64 HMAC-SHA256>" of
// "{id}.{timestamp}.{body}" keyed with the base64 part of a "whsec_"
// secret. The gateway signs with it and `evtctl webhooks listen|verify`
// check with it, so the two sides are one piece of code.
//
// It depends on nothing of the gateway, so both the dispatcher and the CLI
// can use it.
package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// Standard Webhooks secrets are 24 to 64 random bytes.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// DecodeSecret returns the HMAC key of a "whsec_" secret: the standard
// base64 after the prefix, 24 to 64 bytes.
func DecodeSecret(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, errors.New(`must start with "whsec_"`)
	}
	if len(rest) > base64.StdEncoding.EncodedLen(MaxSecretBytes) {
		return nil, fmt.Errorf("must encode %d to %d bytes, not more", MinSecretBytes, MaxSecretBytes)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, errors.New(`must be "whsec_" followed by standard base64`)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, fmt.Errorf("must encode %d to %d bytes, not %d", MinSecretBytes, MaxSecretBytes, len(key))
	}
	return key, nil
}

// mac returns the base64 HMAC-SHA256 of "id.ts.body" keyed with key.
func mac(key []byte, id, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns the webhook-signature header value of one attempt:
// "v1,<signature>" for each secret, separated by spaces. During a secret's
// rotation both the new and the old secret sign, so a receiver holding
// either one accepts. Secrets DecodeSecret refuses are skipped: a stored
// secret that went bad must not stop the other from signing.
func Sign(secrets []string, id string, ts int64, body []byte) string {
	var b strings.Builder
	tsStr := strconv.FormatInt(ts, 10)
	for _, s := range secrets {
		key, err := DecodeSecret(s)
		if err != nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(mac(key, id, tsStr, body))
	}
	return b.String()
}
