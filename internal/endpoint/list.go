package endpoint

import "github.com/evtctl/evtctl/internal/listing"

// The parameters of the two list routes (their own ones, type and
// endpoint_id, are read by the handlers).
var (
	endpointList = listing.Spec{Sorts: listing.TimeSorts, Params: []string{"id", "type", "owner"}}
	filterList   = listing.Spec{Sorts: listing.TimeSorts, Params: []string{"id", "endpoint_id", "owner"}}
)
