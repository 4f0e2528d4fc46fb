package serve

import (
	"context"
	"sync"

	"github.com/evtctl/evtctl/internal/demo"
	"github.com/evtctl/evtctl/internal/server"
)

// demoFeed runs the --demo generator as an extension, so that it writes to
// the event log of the current generation: after the gateway rebuilt its
// storage on a new connection, a generator holding the old log would only
// log errors.
type demoFeed struct {
	rate   float64
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (f *demoFeed) Name() string { return "demo" }

func (f *demoFeed) Start(_ context.Context, d *server.Deps) error {
	gen := demo.New(d.Log, d.Config.Server.Name, f.rate, d.Logger)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.wg.Go(func() { gen.Run(ctx) })
	return nil
}

func (f *demoFeed) Routes() []server.Route { return nil }

func (f *demoFeed) Stop(context.Context) {
	if f.cancel != nil {
		f.cancel()
	}
	f.wg.Wait()
}
