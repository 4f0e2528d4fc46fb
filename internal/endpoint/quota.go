package endpoint

import (
	"fmt"

	"github.com/evtctl/evtctl/internal/httpapi"
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
	limit := s.limits.EndpointsPerTenant
	if limit <= 0 {
		return nil
	}
	n := 0
	for _, ep := range s.st.EndpointSet.List() {
		if ep.Owner == owner {
			n++
		}
	}
	if n >= limit {
		return httpapi.QuotaExceeded(fmt.Sprintf("Owner %q", owner), limit, "endpoints", "limits.endpoints_per_tenant")
	}
	return nil
}

// filterQuota refuses one more filter on an endpoint at its maximum.
// Callers hold createMu.
func (s *Service) filterQuota(endpointID string) error {
	limit := s.limits.FiltersPerEndpoint
	if limit <= 0 {
		return nil
	}
	if n := len(s.st.Filters(endpointID)); n >= limit {
		return httpapi.QuotaExceeded(fmt.Sprintf("Endpoint %q", endpointID), limit, "event filters", "limits.filters_per_endpoint")
	}
	return nil
}
