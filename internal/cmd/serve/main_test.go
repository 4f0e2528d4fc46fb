package serve

import (
	"testing"

	"github.com/evtctl/evtctl/internal/testkit"
)

// No goroutine of the package outlives its tests.
func TestMain(m *testing.M) { testkit.VerifyNoLeaks(m) }
