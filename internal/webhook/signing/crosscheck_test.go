package signing_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/webhook"
	"github.com/evtctl/evtctl/internal/webhook/signing"
)

// The gateway's signer and this package agree on every input, valid
// secrets or not, so a receiver verifying with signing accepts exactly
// what the gateway sends (until webhook.Signature delegates here, this is
// what keeps the two from drifting).
func TestSameAsGatewaySigner(t *testing.T) {
	secrets := []string{
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD",
		"whsec_" + strings.Repeat("A", 86) + "==",
		"whsec_" + strings.Repeat("A", 88),
		"whsec_" + strings.Repeat("A", 92),
		"whsec_" + strings.Repeat("A", 28),
		"whsec_not base64!",
		"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"",
		endpoint.NewSecret(),
	}
	bodies := [][]byte{nil, []byte(`{"id":"e1","label_id":"dog_bark"}`), []byte("\xff\xfe\x00 not json"), []byte(strings.Repeat("x", 100_000))}
	for i := range secrets {
		for j := i; j <= len(secrets); j++ {
			set := secrets[i:j]
			for k, body := range bodies {
				id := fmt.Sprintf("msg_ep_%d", k)
				ts := int64(1_700_000_000 + k)
				if got, want := signing.Sign(set, id, ts, body), webhook.Signature(set, id, ts, body); got != want {
					t.Fatalf("secrets %q body %d: Sign %q, webhook.Signature %q", set, k, got, want)
				}
			}
		}
		_, err1 := signing.DecodeSecret(secrets[i])
		_, err2 := endpoint.SecretKey(secrets[i])
		if (err1 == nil) != (err2 == nil) {
			t.Errorf("%q: DecodeSecret %v, endpoint.SecretKey %v", secrets[i], err1, err2)
		}
	}
}
