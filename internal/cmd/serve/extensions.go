package serve

import (
	"github.com/evtctl/evtctl/internal/composite"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/stream"
	"github.com/evtctl/evtctl/internal/webhook"
)

// Extensions lists the components the gateway runs besides ingest and
// query, in start order (a component may use those started before it).
// Each call returns new instances: the server asks again for every
// generation of its storage stack.
func Extensions(cfg *config.Config) []server.Extension {
	endpoints := endpoint.NewService()
	return []server.Extension{
		endpoints,
		webhook.New(endpoints),
		composite.NewService(),
		stream.New(endpoints),
	}
}
