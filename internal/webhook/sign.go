package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/evtctl/evtctl/internal/endpoint"
)

// Standard Webhooks headers (https://www.standardwebhooks.com).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Signature returns the webhook-signature header value for one attempt:
// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" for each secret,
// separated by spaces. During a secret's rotation grace period both the new
// and the old secret sign, so a receiver verifying either one accepts.
// Secrets that are not valid "whsec_" secrets are skipped.
func Signature(secrets []string, id string, ts int64, body []byte) string {
	var b strings.Builder
	tsStr := strconv.FormatInt(ts, 10)
	for _, s := range secrets {
		key, err := endpoint.SecretKey(s)
		if err != nil {
			continue
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(tsStr))
		mac.Write([]byte{'.'})
		mac.Write(body)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return b.String()
}
