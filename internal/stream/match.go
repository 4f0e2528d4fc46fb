package stream

import (
	"github.com/evtctl/evtctl/internal/redact"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// endpointMatcher returns the hub's per-event check for an endpoint: the
// endpoint's current filters (with their compiled conditions), read from
// memory at every event, so filter changes apply to open sockets
// immediately.
func (s *Service) endpointMatcher(id string) func(store.Record) bool {
	return func(rec store.Record) bool {
		if rec.Address.Family == string(proto.FamilyOperational) && rec.Address.DeviceID == id {
			return false // never a report about the endpoint itself
		}
		return s.endpoints.Matcher(id).Match(rec)
	}
}

// redactor turns redact.fields into the hub's payload transform.
func redactor(fields []string) func(store.Record) []byte {
	r := redact.New(fields)
	if r == nil {
		return nil
	}
	return func(rec store.Record) []byte { return r.Apply(rec.Data) }
}
