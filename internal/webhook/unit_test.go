package webhook

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
)

// The example of the Standard Webhooks specification's reference libraries.
func TestSignatureSpecVector(t *testing.T) {
	got := Signature([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}

func TestSignatureSeveralSecrets(t *testing.T) {
	a, b := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_"+"QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD"
	one := Signature([]string{a}, "id", 1, []byte("x"))
	two := Signature([]string{a, "not-a-secret", b}, "id", 1, []byte("x"))
	if two[:len(one)] != one || len(two) != 2*len(one)+1 || two[len(one)] != ' ' {
		t.Fatalf("two signatures %q (one: %q)", two, one)
	}
}

func TestScheduleJitter(t *testing.T) {
	s := newSchedule([]time.Duration{10 * time.Second, time.Minute}, 0.2)
	for _, r := range []float64{0, 0.5, 0.999} {
		s.rand = func() float64 { return r }
		d, ok := s.next(1)
		want := time.Duration(float64(10*time.Second) * (1 + 0.2*(2*r-1)))
		if !ok || d != want {
			t.Errorf("rand %v: %v, want %v", r, d, want)
		}
		if d < 8*time.Second || d > 12*time.Second {
			t.Errorf("rand %v: %v outside ±20%%", r, d)
		}
	}
	if _, ok := s.next(3); ok {
		t.Error("schedule of 2 delays allowed a third retry")
	}
	if d, ok := newSchedule([]time.Duration{time.Second}, 0).next(1); !ok || d != time.Second {
		t.Errorf("no jitter: %v", d)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"Mon, 23 Nov 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Mon, 23 Nov 2026 09:00:00 GMT", 0, true}, // in the past: now
		{"999999999", maxRetryAfter, true},
	}
	for _, c := range cases {
		got, ok := retryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestBreaker(t *testing.T) {
	now := time.Now()
	b := newBreaker(2, time.Second)
	step := func(healthy bool) {
		ok, probe := b.allow(now)
		if !ok {
			t.Fatal("not allowed")
		}
		b.done(now, probe, healthy)
	}
	step(false)
	if ok, _ := b.allow(now); !ok {
		t.Fatal("open after one failure of two")
	}
	b.done(now, false, false) // second failure
	if ok, _ := b.allow(now); ok || !b.open(now) {
		t.Fatal("closed after two failures")
	}
	now = now.Add(time.Second)
	ok, probe := b.allow(now)
	if !ok || !probe {
		t.Fatal("no half-open probe after the cooldown")
	}
	if ok, _ := b.allow(now); ok {
		t.Fatal("two probes at once")
	}
	b.done(now, true, false) // probe failed: open again
	if ok, _ := b.allow(now.Add(500 * time.Millisecond)); ok {
		t.Fatal("allowed during the second cooldown")
	}
	now = now.Add(time.Second)
	ok, probe = b.allow(now)
	if !ok || !probe {
		t.Fatal("no half-open probe after the second cooldown")
	}
	b.done(now, probe, true) // probe succeeded: closed
	if ok, probe := b.allow(now); !ok || probe || b.open(now) {
		t.Fatal("not closed after a successful probe")
	}
	step(true) // a success resets the count
	step(false)
	if ok, _ := b.allow(now); !ok {
		t.Fatal("failure count not reset by success")
	}
}

func TestGuard(t *testing.T) {
	g, err := newGuard([]string{"127.0.0.0/8", "10.9.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	none, _ := newGuard(nil)
	cases := []struct {
		ip           string
		none, custom bool // allowed with no allow list / with the list above
	}{
		{"93.184.215.14", true, true},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true, true},
		{"127.0.0.1", false, true},
		{"127.1.2.3", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"::1", false, false},
		{"10.9.1.1", false, true},
		{"10.1.1.1", false, false},
		{"172.16.0.1", false, false},
		{"192.168.1.1", false, false},
		{"169.254.169.254", false, false},
		{"169.254.1.1", false, false},
		{"100.64.0.1", false, false},
		{"0.0.0.0", false, false},
		{"224.0.0.1", false, false},
		{"fd00:ec2::254", false, false},
		{"fe80::1", false, false},
		{"fc00::1", false, false},
		{"64:ff9b::7f00:1", false, false},
	}
	for _, c := range cases {
		a := netip.MustParseAddr(c.ip)
		if got := none.check(a) == nil; got != c.none {
			t.Errorf("%s without allow list: allowed=%v, want %v", c.ip, got, c.none)
		}
		if got := g.check(a) == nil; got != c.custom {
			t.Errorf("%s with allow list: allowed=%v, want %v", c.ip, got, c.custom)
		}
	}
	var re *RefusedError
	if err := none.control("tcp4", "169.254.169.254:80", nil); !errors.As(err, &re) || re.Why != "the cloud metadata service" {
		t.Fatalf("control: %v", err)
	}
	if _, err := newGuard([]string{"nope"}); err == nil {
		t.Fatal("bad CIDR accepted")
	}
}

// The webhook streams' subjects must stay on an edge's side of a leaf
// connection like the rest of evtctl's (store.LocalSubjects).
func TestStreamSubjectsAreLocal(t *testing.T) {
	for _, prefix := range []string{recordPrefix, requestPrefix} {
		if !slices.Contains(store.LocalSubjects, prefix+".>") {
			t.Errorf("%s.> is missing from store.LocalSubjects", prefix)
		}
	}
}
