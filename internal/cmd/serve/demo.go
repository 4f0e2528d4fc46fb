package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/composite"
	"github.com/evtctl/evtctl/internal/demo"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// demoFeed runs the --demo generator as a component, so that it writes to
// the event log of the current generation: after the gateway rebuilt its
// storage on a new connection, a generator holding the old log would only
// log errors.
type demoFeed struct {
	run component.Group
}

// newDemoFeed starts feeding about rate events per second into h's log.
// When the demo tenant has no composite rule, it first creates the demo's
// (demo.Rule), so that the composite streams show composites at once.
func newDemoFeed(ctx context.Context, h server.Handles, rate float64, cs []component.Component) (*demoFeed, error) {
	for _, c := range cs {
		if rules, ok := c.(*composite.Service); ok {
			if err := ensureDemoRule(ctx, rules.Rules()); err != nil {
				return nil, err
			}
		}
	}
	f := &demoFeed{}
	gen := demo.New(h.Log, h.Config.Server.Name, rate, h.Env.Logger)
	f.run.Go(gen.Run)
	return f, nil
}

func ensureDemoRule(ctx context.Context, rules *store.Collection[proto.Rule]) error {
	if rules.Count(func(r proto.Rule) bool { return r.Owner == demo.Owner }) > 0 {
		return nil
	}
	err := rules.Create(ctx, demo.RuleID, demo.Rule(time.Now().UTC()))
	if err != nil && !errors.Is(err, store.ErrExists) {
		return fmt.Errorf("create the demo rule: %w", err)
	}
	return nil
}

func (f *demoFeed) Name() string { return "demo" }

func (f *demoFeed) Routes() []component.Route { return nil }

func (f *demoFeed) Stop(context.Context) { f.run.Stop() }

// printDemoNext tells the user what the demo feeds and what to run next to
// watch every stream, for a gateway at base (its listening URL).
func printDemoNext(w io.Writer, base string, rate float64) {
	base = reachable(base)
	ws := "ws" + base[len("http"):]
	server := ""
	if base != "http://127.0.0.1:8100" {
		server = " --server " + base // the CLI's default is localhost:8100
	}
	fmt.Fprintf(w, `
demo: about %.0[1]f events/s of every family (owner %[2]q): sound bursts from 2 microphones,
analysis results from 3 cameras, face identifications; rule %[3]s makes composites.
Watch them (with EVTCTL_TOKEN exported):
  evtctl tail composites analysis%[5]s
  wscat -c %[4]s/api/v1/ws/composite-events -H "Authorization: Bearer $EVTCTL_TOKEN"
  curl -N -H "Authorization: Bearer $EVTCTL_TOKEN" %[6]s/api/v1/devices/analysis/stream/all
  evtctl events query --family identification --since 1m%[5]s

`, rate, demo.Owner, demo.RuleID, ws, server, base)
}

// reachable turns a listening URL on every interface (http://[::]:8100)
// into one a local client can use (http://127.0.0.1:8100).
func reachable(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return base
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		u.Host = net.JoinHostPort("127.0.0.1", port)
	}
	return u.String()
}
