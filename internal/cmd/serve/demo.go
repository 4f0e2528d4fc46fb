package serve

import (
	"context"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/demo"
	"github.com/evtctl/evtctl/internal/server"
)

// demoFeed runs the --demo generator as a component, so that it writes to
// the event log of the current generation: after the gateway rebuilt its
// storage on a new connection, a generator holding the old log would only
// log errors.
type demoFeed struct {
	run component.Group
}

// newDemoFeed starts feeding about rate events per second into h's log.
func newDemoFeed(h server.Handles, rate float64) *demoFeed {
	f := &demoFeed{}
	gen := demo.New(h.Log, h.Config.Server.Name, rate, h.Env.Logger)
	f.run.Go(gen.Run)
	return f
}

func (f *demoFeed) Name() string { return "demo" }

func (f *demoFeed) Routes() []component.Route { return nil }

func (f *demoFeed) Stop(context.Context) { f.run.Stop() }
