package webhooks

import (
	"testing"

	"github.com/evtctl/evtctl/internal/testkit"
)

// No goroutine of the receiver outlives its tests.
func TestMain(m *testing.M) { testkit.VerifyNoLeaks(m) }
