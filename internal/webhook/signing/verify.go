package signing

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a request's timestamp may be from the
// receiver's clock, either way: the reference libraries' five minutes.
const DefaultTolerance = 5 * time.Minute

// Bounds on what a sender may put in the headers. A request over them is
// refused before any HMAC is computed: the headers come from anyone who
// can reach the receiver.
const (
	MaxIDLen        = 1024
	MaxSignatureLen = 8 << 10
	// MaxSignatures is how many space-separated values of
	// webhook-signature are looked at; a rotation needs two.
	MaxSignatures = 16
)

// Why Verify refused a request; match with errors.Is.
var (
	ErrMissingHeader = errors.New("a Standard Webhooks header is missing")
	ErrMalformed     = errors.New("a Standard Webhooks header is malformed")
	ErrTimestamp     = errors.New("the timestamp is outside the tolerance")
	ErrNoSecret      = errors.New("no valid secret to verify with")
	ErrNoMatch       = errors.New("no signature matches")
)

// Headers are the three Standard Webhooks header values of a request.
type Headers struct {
	ID, Timestamp, Signature string
}

// HeadersFrom reads the three headers of an HTTP request.
func HeadersFrom(h http.Header) Headers {
	return Headers{ID: h.Get(HeaderID), Timestamp: h.Get(HeaderTimestamp), Signature: h.Get(HeaderSignature)}
}

// Options of Verify.
type Options struct {
	// Now is the receiver's clock; the zero time means time.Now().
	Now time.Time
	// Tolerance bounds |Now - webhook-timestamp|; 0 or less skips the
	// check (a saved request verified long after it was sent).
	Tolerance time.Duration
}

// Verify checks a request: its headers are present and within bounds, the
// timestamp is within the tolerance, and at least one "v1," value of
// webhook-signature equals the signature of one of secrets (a receiver
// holds two during its own rotation). Values of other versions are
// ignored. Signatures are compared in constant time. The error wraps one
// of the Err values and says which header or how far off the clock is.
func Verify(secrets []string, h Headers, body []byte, opts Options) error {
	for _, v := range []struct{ name, val string }{{HeaderID, h.ID}, {HeaderTimestamp, h.Timestamp}, {HeaderSignature, h.Signature}} {
		if strings.TrimSpace(v.val) == "" {
			return fmt.Errorf("%w: %s", ErrMissingHeader, v.name)
		}
	}
	if len(h.ID) > MaxIDLen {
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrMalformed, HeaderID, MaxIDLen)
	}
	if len(h.Signature) > MaxSignatureLen {
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrMalformed, HeaderSignature, MaxSignatureLen)
	}
	ts, err := strconv.ParseInt(h.Timestamp, 10, 64)
	if err != nil || ts < 0 || len(h.Timestamp) > 19 {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrMalformed, HeaderTimestamp)
	}
	if opts.Tolerance > 0 {
		now := opts.Now
		if now.IsZero() {
			now = time.Now()
		}
		// Compared in seconds, so no value of ts overflows a Duration.
		off := now.Unix() - ts
		if limit := int64(opts.Tolerance / time.Second); off > limit || -off > limit {
			return fmt.Errorf("%w: %s is %s from this clock (tolerance %s)", ErrTimestamp, HeaderTimestamp, describeOffset(off), opts.Tolerance)
		}
	}

	var keys [][]byte
	for _, s := range secrets {
		if key, err := DecodeSecret(s); err == nil {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return ErrNoSecret
	}
	var candidates []string
	for _, part := range strings.Fields(h.Signature) {
		if len(candidates) == MaxSignatures {
			break
		}
		if v, sig, ok := strings.Cut(part, ","); ok && v == "v1" {
			candidates = append(candidates, sig)
		}
	}
	if len(candidates) == 0 {
		return fmt.Errorf("%w: %s has no v1 signature", ErrMalformed, HeaderSignature)
	}
	// Every candidate is compared with every key's signature, matched or
	// not, so the time taken does not say which one matched.
	found := false
	for _, key := range keys {
		want := []byte(mac(key, h.ID, h.Timestamp, body))
		for _, c := range candidates {
			if hmac.Equal(want, []byte(c)) {
				found = true
			}
		}
	}
	if !found {
		return ErrNoMatch
	}
	return nil
}

// describeOffset says how far the timestamp is: "400s in the past".
func describeOffset(off int64) string {
	if off >= 0 {
		return strconv.FormatInt(off, 10) + "s in the past"
	}
	return strconv.FormatInt(-off, 10) + "s in the future"
}
