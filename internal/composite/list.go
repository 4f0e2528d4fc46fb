package composite

import (
	"cmp"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// listQuery is GET /api/v1/rules's parameters.
type listQuery struct {
	ids   map[string]bool // ?id= (repeatable); empty = all
	owner string
	sort  string // created_at, -created_at, updated_at, -updated_at
	limit int
	after *pageKey // from page_token
}

// pageKey is the position after which the next page starts. Keyset paging
// (not offsets) keeps pages stable while rules are created or deleted.
type pageKey struct {
	t  time.Time
	id string
}

var listParams = map[string]bool{"id": true, "owner": true, "sort": true, "limit": true, "page_token": true}

const (
	defaultLimit = 100
	maxLimit     = 1000
)

func parseList(q url.Values) (*listQuery, error) {
	for k := range q {
		if !listParams[k] {
			return nil, httpapi.Invalid(k, "is not a parameter of this list (id, owner, sort, limit, page_token)")
		}
	}
	lq := &listQuery{owner: q.Get("owner"), sort: cmp.Or(q.Get("sort"), "created_at"), limit: defaultLimit}
	switch lq.sort {
	case "created_at", "-created_at", "updated_at", "-updated_at":
	default:
		return nil, httpapi.Invalid("sort", "must be created_at, -created_at, updated_at or -updated_at")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return nil, httpapi.Invalid("limit", "must be an integer from 1 to 1000")
		}
		lq.limit = n
	}
	if ids := q["id"]; len(ids) > 0 {
		lq.ids = map[string]bool{}
		for _, id := range ids {
			lq.ids[id] = true
		}
	}
	if tok := q.Get("page_token"); tok != "" {
		k, ok := decodePageToken(tok, lq.sort)
		if !ok {
			return nil, httpapi.Errorf(http.StatusBadRequest, proto.CodeInvalidCursor,
				"The page_token is not one this list returned with sort=%s; start again without it.", lq.sort)
		}
		lq.after = &k
	}
	return lq, nil
}

// sortTime is the rule's value of the sort key.
func sortTime(r proto.Rule, sort string) time.Time {
	if strings.TrimPrefix(sort, "-") == "updated_at" {
		return r.UpdatedAt
	}
	return r.CreatedAt
}

// page selects, orders and cuts one page of rules.
func (lq *listQuery) page(all []proto.Rule) proto.List[proto.Rule] {
	desc := strings.HasPrefix(lq.sort, "-")
	compare := func(t time.Time, id string, k pageKey) int {
		c := cmp.Or(t.Compare(k.t), strings.Compare(id, k.id))
		if desc {
			return -c
		}
		return c
	}
	items := make([]proto.Rule, 0, len(all))
	for _, r := range all {
		if lq.ids != nil && !lq.ids[r.ID] || lq.owner != "" && r.Owner != lq.owner {
			continue
		}
		if lq.after != nil && compare(sortTime(r, lq.sort), r.ID, *lq.after) <= 0 {
			continue
		}
		items = append(items, r)
	}
	slices.SortFunc(items, func(a, b proto.Rule) int {
		return compare(sortTime(a, lq.sort), a.ID, pageKey{sortTime(b, lq.sort), b.ID})
	})
	out := proto.List[proto.Rule]{Items: items}
	if len(items) > lq.limit {
		out.Items = items[:lq.limit]
		last := out.Items[lq.limit-1]
		out.NextPageToken = encodePageToken(lq.sort, pageKey{sortTime(last, lq.sort), last.ID})
	}
	return out
}

// Page tokens are opaque to clients: base64url of "sort|unixnano|id".
func encodePageToken(sort string, k pageKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(sort + "|" + strconv.FormatInt(k.t.UnixNano(), 10) + "|" + k.id))
}

func decodePageToken(tok, sort string) (pageKey, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return pageKey{}, false
	}
	parts := strings.SplitN(string(b), "|", 3)
	if len(parts) != 3 || parts[0] != sort {
		return pageKey{}, false
	}
	ns, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return pageKey{}, false
	}
	return pageKey{time.Unix(0, ns).UTC(), parts[2]}, true
}
