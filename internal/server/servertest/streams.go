package servertest

import (
	"context"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/stream"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Streams is a running gateway with the endpoint and stream components,
// the two a live-stream test needs (streams apply endpoint filters).
type Streams struct {
	*Harness
	Endpoints *endpoint.Service
	Streams   *stream.Service
}

// RunStreams is Run with endpoints and streams as the components.
func RunStreams(t testing.TB, opts ...Option) *Streams {
	t.Helper()
	g := &Streams{}
	g.Harness = Run(t, func(ctx context.Context, h server.Handles) ([]component.Component, error) {
		var err error
		if g.Endpoints, err = endpoint.New(ctx, h.Env, h.Config.Webhooks, h.Config.Limits); err != nil {
			return nil, err
		}
		g.Streams, err = stream.New(ctx, h.Env, stream.ConfigOf(h.Config), h.Log, h.Keys, g.Endpoints)
		return []component.Component{g.Endpoints, g.Streams}, err
	}, opts...)
	return g
}

// WebSocketEndpoint stores an enabled WebSocket endpoint named "wall" of
// owner straight into eps (no API request) and returns it.
func WebSocketEndpoint(t testing.TB, eps *endpoint.Service, id, owner string) proto.Endpoint {
	t.Helper()
	now := time.Now().UTC()
	ep := proto.Endpoint{ID: id, Owner: owner, Name: "wall", Type: proto.EndpointWebSocket, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if err := eps.Store().EndpointSet.Create(context.Background(), ep.ID, ep); err != nil {
		t.Fatal(err)
	}
	return ep
}
