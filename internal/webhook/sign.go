package webhook

import "github.com/evtctl/evtctl/internal/webhook/signing"

// Standard Webhooks headers (https://www.standardwebhooks.com).
const (
	HeaderID        = signing.HeaderID
	HeaderTimestamp = signing.HeaderTimestamp
	HeaderSignature = signing.HeaderSignature
)

// Signature returns the webhook-signature header value for one attempt
// (signing.Sign): during a secret's rotation grace period both the new and
// the old secret sign, so a receiver verifying either one accepts.
func Signature(secrets []string, id string, ts int64, body []byte) string {
	return signing.Sign(secrets, id, ts, body)
}
