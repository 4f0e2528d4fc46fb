package cmdhelp

import (
	"net/url"

	"github.com/evtctl/evtctl/internal/cmdutil"
)

// CheckLimit is the usage error for a negative --limit (0 means all).
func CheckLimit(limit int) error {
	if limit < 0 {
		return cmdutil.FlagErrorf("--limit must be 0 (all) or more")
	}
	return nil
}

// ListQuery is the query string the resource lists share (CONTRACT §5):
// ?id= for each id, ?sort= and ?owner= when set.
func ListQuery(ids []string, sort, owner string) url.Values {
	q := url.Values{}
	for _, id := range ids {
		q.Add("id", id)
	}
	if sort != "" {
		q.Set("sort", sort)
	}
	if owner != "" {
		q.Set("owner", owner)
	}
	return q
}
