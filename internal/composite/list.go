package composite

import (
	"github.com/evtctl/evtctl/internal/listing"
	"github.com/evtctl/evtctl/pkg/proto"
)

// listSpec is GET /api/v1/rules's parameters.
var listSpec = listing.Spec{Sorts: listing.TimeSorts, Params: []string{"id", "owner"}}

// page selects, orders and cuts one page of rules.
func page(all []proto.Rule, lq listing.Query) (proto.List[proto.Rule], error) {
	items := make([]proto.Rule, 0, len(all))
	for _, r := range all {
		if lq.Wants(r.ID) && (lq.Owner == "" || r.Owner == lq.Owner) {
			items = append(items, r)
		}
	}
	items, next, err := listing.Page(items, lq, func(r proto.Rule, field string) listing.Key {
		return listing.TimeKey(field, r.ID, r.CreatedAt, r.UpdatedAt)
	})
	return proto.List[proto.Rule]{Items: items, NextPageToken: next}, err
}
