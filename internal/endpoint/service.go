package endpoint

import (
	"context"

	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Service is the endpoints extension of the server: it opens the Store on
// start and answers the stream package's lookups from it.
type Service struct {
	st *Store
}

// NewService creates the extension.
func NewService() *Service { return &Service{} }

// Name implements server.Extension.
func (s *Service) Name() string { return "endpoints" }

// Start implements server.Extension.
func (s *Service) Start(ctx context.Context, d *server.Deps) (err error) {
	s.st, err = Open(ctx, d.Backbone.JS, d.Config.Storage.Replicas)
	return err
}

// Stop implements server.Extension.
func (s *Service) Stop(context.Context) {
	if s.st != nil {
		s.st.Close()
	}
}

// Routes implements server.Extension.
func (s *Service) Routes() []server.Route { return nil }

// Store returns the store (valid after Start).
func (s *Service) Store() *Store { return s.st }

// Endpoint returns an endpoint by id.
func (s *Service) Endpoint(id string) (proto.Endpoint, bool) { return s.st.Endpoint(id) }

// Filters returns an endpoint's filters.
func (s *Service) Filters(endpointID string) []proto.EventFilter { return s.st.Filters(endpointID) }

// OnChange registers fn for endpoint and filter changes (call after Start).
func (s *Service) OnChange(fn func(endpointID string)) { s.st.OnChange(fn) }
