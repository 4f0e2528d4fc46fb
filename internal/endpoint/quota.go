package endpoint

import (
	"fmt"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Per-tenant quotas (limits.endpoints_per_tenant, limits.filters_per_endpoint).
//
// The count comes from the node's mirror of the KV buckets, which a create
// on this node updates before it returns; creates on one node are
// serialised by Service.createMu, so they never exceed a limit together.
// Creates on different nodes at the same moment may each see the other's
// resource missing and exceed a limit by one per node (documented in
// docs/api.md).

// endpointQuota refuses a new endpoint of owner when it has its maximum.
// Callers hold createMu.
func (s *Service) endpointQuota(owner string) error {
	n := s.st.EndpointSet.Count(func(ep proto.Endpoint) bool { return ep.Owner == owner })
	return httpapi.Quota(n, s.limits.EndpointsPerTenant, fmt.Sprintf("Owner %q", owner), "endpoints", "limits.endpoints_per_tenant")
}

// filterQuota refuses one more filter on an endpoint at its maximum.
// Callers hold createMu.
func (s *Service) filterQuota(endpointID string) error {
	return httpapi.Quota(len(s.st.Filters(endpointID)), s.limits.FiltersPerEndpoint, fmt.Sprintf("Endpoint %q", endpointID), "event filters", "limits.filters_per_endpoint")
}
