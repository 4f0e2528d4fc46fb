package monitoring_test

import (
	"testing"

	"github.com/evtctl/evtctl/internal/testkit"
)

// The gateways the tests start leave no goroutine behind.
func TestMain(m *testing.M) { testkit.VerifyNoLeaks(m) }
