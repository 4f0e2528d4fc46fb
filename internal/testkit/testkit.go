// Package testkit holds helpers shared by the tests of several packages.
// Only _test.go files import it.
package testkit

import (
	"strings"
	"testing"
	"time"
)

// poll is how often Eventually checks its condition.
const poll = 20 * time.Millisecond

// Eventually waits until cond holds, checking it every 20 ms, and fails the
// test (naming what it waited for) if it does not within timeout. Wait on
// the condition a test is about rather than sleeping a fixed time: a loaded
// machine makes everything slower, and a generous timeout costs nothing
// when the condition comes true early.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(poll)
	}
}

// CheckErr checks the error of one case of a table test: with want "" err
// must be nil, else it must contain want. It reports whether the case goes
// on to check its result (no error wanted, none came); name names the case
// in a failure.
func CheckErr(t testing.TB, name any, err error, want string) bool {
	t.Helper()
	if want != "" {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: error %v, want %q", name, err, want)
		}
		return false
	}
	if err != nil {
		t.Errorf("%v: %v", name, err)
		return false
	}
	return true
}
