package signing

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The example of the Standard Webhooks specification's reference
// libraries: secret, id, timestamp and body, and the signature they give.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTS     = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

var specNow = time.Unix(specTS, 0)

func specHeaders() Headers {
	return Headers{ID: specID, Timestamp: strconv.Itoa(specTS), Signature: specSig}
}

func TestSpecVector(t *testing.T) {
	if got := Sign([]string{specSecret}, specID, specTS, []byte(specBody)); got != specSig {
		t.Fatalf("Sign: %q, want %q", got, specSig)
	}
	if err := Verify([]string{specSecret}, specHeaders(), []byte(specBody), Options{Now: specNow, Tolerance: DefaultTolerance}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

// Anything changed in the body, id, timestamp or secret fails.
func TestVerifyRefusesTampering(t *testing.T) {
	other := "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD"
	h := specHeaders()
	cases := []struct {
		name    string
		secrets []string
		h       Headers
		body    string
	}{
		{"body", []string{specSecret}, h, `{"test": 2432232315}`},
		{"body with a trailing newline", []string{specSecret}, h, specBody + "\n"},
		{"id", []string{specSecret}, Headers{ID: specID + "x", Timestamp: h.Timestamp, Signature: h.Signature}, specBody},
		{"timestamp", []string{specSecret}, Headers{ID: specID, Timestamp: strconv.Itoa(specTS + 1), Signature: h.Signature}, specBody},
		{"secret", []string{other}, h, specBody},
		{"signature", []string{specSecret}, Headers{ID: specID, Timestamp: h.Timestamp, Signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF="}, specBody},
		{"version", []string{specSecret}, Headers{ID: specID, Timestamp: h.Timestamp, Signature: "v2," + strings.TrimPrefix(specSig, "v1,") + " v1,AAAA"}, specBody},
	}
	for _, c := range cases {
		err := Verify(c.secrets, c.h, []byte(c.body), Options{Now: specNow.Add(time.Second), Tolerance: DefaultTolerance})
		if !errors.Is(err, ErrNoMatch) {
			t.Errorf("%s changed: %v, want ErrNoMatch", c.name, err)
		}
	}
}

// A header with several signatures (the sender's rotation) verifies when
// any of them matches, and a receiver with several secrets (its own
// rotation) accepts a request signed with any of them.
func TestSeveralSignaturesAndSecrets(t *testing.T) {
	other := "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD"
	body := []byte(`{"id":"e1"}`)
	both := Sign([]string{other, "not-a-secret", specSecret}, "msg_1", specTS, body)
	if n := len(strings.Fields(both)); n != 2 {
		t.Fatalf("Sign with two valid secrets and a bad one: %q (%d values)", both, n)
	}
	opts := Options{Now: specNow, Tolerance: DefaultTolerance}
	for _, secrets := range [][]string{{specSecret}, {other}, {"whsec_bad", specSecret}} {
		if err := Verify(secrets, Headers{"msg_1", strconv.Itoa(specTS), both}, body, opts); err != nil {
			t.Errorf("secrets %v: %v", secrets, err)
		}
	}
	one := Sign([]string{specSecret}, "msg_1", specTS, body)
	if err := Verify([]string{other, specSecret}, Headers{"msg_1", strconv.Itoa(specTS), "v1a,x " + one + " v2,y"}, body, opts); err != nil {
		t.Errorf("receiver with two secrets, header with noise: %v", err)
	}
	if err := Verify([]string{"whsec_short", "nope"}, Headers{"msg_1", strconv.Itoa(specTS), one}, body, opts); !errors.Is(err, ErrNoSecret) {
		t.Errorf("no valid secret: %v", err)
	}
}

func TestTolerance(t *testing.T) {
	body := []byte(specBody)
	for _, c := range []struct {
		off  time.Duration
		tol  time.Duration
		want error
	}{
		{0, DefaultTolerance, nil},
		{5 * time.Minute, DefaultTolerance, nil},
		{-5 * time.Minute, DefaultTolerance, nil},
		{5*time.Minute + time.Second, DefaultTolerance, ErrTimestamp},
		{-5*time.Minute - time.Second, DefaultTolerance, ErrTimestamp},
		{1000 * time.Hour, 0, nil}, // not checked
		{time.Hour, time.Minute, ErrTimestamp},
	} {
		err := Verify([]string{specSecret}, specHeaders(), body, Options{Now: specNow.Add(c.off), Tolerance: c.tol})
		if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("clock %v off, tolerance %v: %v, want %v", c.off, c.tol, err, c.want)
		}
	}
	err := Verify([]string{specSecret}, specHeaders(), body, Options{Now: specNow.Add(-time.Hour), Tolerance: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "3600s in the future") {
		t.Errorf("future timestamp: %v", err)
	}
}

// Hostile headers are refused before any HMAC: missing, oversized,
// non-numeric, non-UTF-8 and wildcard-laden values.
func TestHostileHeaders(t *testing.T) {
	long := strings.Repeat("é*?>", 1250) // 5,000 characters
	bad := "\xff\xfe*%00"
	ts := strconv.Itoa(specTS)
	cases := []struct {
		h    Headers
		want error
	}{
		{Headers{"", ts, specSig}, ErrMissingHeader},
		{Headers{specID, "", specSig}, ErrMissingHeader},
		{Headers{specID, ts, "  "}, ErrMissingHeader},
		{Headers{long, ts, specSig}, ErrMalformed},
		{Headers{specID, ts, strings.Repeat("v1,"+long, 2)}, ErrMalformed},
		{Headers{specID, long, specSig}, ErrMalformed},
		{Headers{specID, bad, specSig}, ErrMalformed},
		{Headers{specID, "-5", specSig}, ErrMalformed},
		{Headers{specID, "1e9", specSig}, ErrMalformed},
		{Headers{specID, "99999999999999999999", specSig}, ErrMalformed},
		{Headers{specID, ts, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}, ErrMalformed},
		{Headers{bad, ts, specSig}, ErrNoMatch},
		{Headers{specID, ts, "v1," + bad}, ErrNoMatch},
		// The right signature beyond the first MaxSignatures is not looked at.
		{Headers{specID, ts, strings.Repeat("v1,AAAA ", MaxSignatures) + specSig}, ErrNoMatch},
	}
	for _, c := range cases {
		err := Verify([]string{specSecret}, c.h, []byte(specBody), Options{Now: specNow, Tolerance: DefaultTolerance})
		if !errors.Is(err, c.want) {
			t.Errorf("headers %.60q…: %v, want %v", c.h, err, c.want)
		}
	}
	// A non-UTF-8 body is bytes like any other.
	body := []byte("\xff\x00" + long)
	sig := Sign([]string{specSecret}, specID, specTS, body)
	if err := Verify([]string{specSecret}, Headers{specID, ts, sig}, body, Options{}); err != nil {
		t.Errorf("non-UTF-8 body: %v", err)
	}
}

func TestDecodeSecret(t *testing.T) {
	for _, c := range []struct {
		secret string
		ok     bool
	}{
		{specSecret, true},
		{"whsec_" + strings.Repeat("A", 86) + "==", true}, // 64 bytes
		{"whsec_" + strings.Repeat("A", 92), false},       // 69 bytes
		{"whsec_" + strings.Repeat("A", 28), false},       // 21 bytes
		{strings.TrimPrefix(specSecret, "whsec_"), false},
		{"whsec_" + strings.Repeat("A", 5000), false},
		{"whsec_\xff\xfe" + strings.Repeat("*", 30), false},
		{"", false},
	} {
		if _, err := DecodeSecret(c.secret); (err == nil) != c.ok {
			t.Errorf("%.40q: %v", c.secret, err)
		}
	}
}
