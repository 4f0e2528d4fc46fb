package tracing_test

import (
	"testing"

	"github.com/evtctl/evtctl/internal/testkit"
)

// No goroutine of the package (exporters, gateways) outlives its tests.
func TestMain(m *testing.M) { testkit.VerifyNoLeaks(m) }
