package testkit

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// VerifyNoLeaks is a package's TestMain: it runs the tests and, when they
// passed, fails the package if any goroutine outlives them (goleak, which
// retries for a while, so goroutines on their way out are not counted).
// Idle keep-alive connections of http.DefaultClient, which the tests'
// requests leave behind, are closed first; goroutines of dependencies
// that outlive their owner by design (thirdParty) are not counted.
func VerifyNoLeaks(m *testing.M, opts ...goleak.Option) {
	code := m.Run()
	if code == 0 {
		http.DefaultClient.CloseIdleConnections()
		if err := goleak.Find(append(thirdParty(), opts...)...); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// thirdParty are goroutines of dependencies that outlive the object that
// started them, which the gateway cannot end.
func thirdParty() []goleak.Option {
	return []goleak.Option{
		// A stream sourcing another (storage.edge_sources) asks for a
		// source consumer and waits up to 30 s for the answer, with no
		// way to stop the wait, also after the server shut down.
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*stream).trySetupSourceConsumer.func3"),
	}
}
