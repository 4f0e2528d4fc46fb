package endpoint

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evtctl/evtctl/internal/httpapi"
)

// listQuery is the common part of the two list routes: ?id= (repeatable or
// comma-separated), sort, limit and page_token.
type listQuery struct {
	ids   []string
	sort  string // "created_at", "-created_at", "updated_at", "-updated_at"
	limit int
	token string
}

const (
	defaultLimit = 100
	maxLimit     = 1000
)

// parseList reads the common parameters and rejects any parameter outside
// allowed (so a typo does not silently widen a listing).
func parseList(q url.Values, sorts []string, allowed ...string) (listQuery, error) {
	lq := listQuery{sort: sorts[0], limit: defaultLimit}
	for k := range q {
		if !slices.Contains(allowed, k) && !slices.Contains([]string{"id", "sort", "limit", "page_token"}, k) {
			return lq, httpapi.Invalid(k, "is not a known parameter")
		}
	}
	lq.ids = multi(q, "id")
	if s := q.Get("sort"); s != "" {
		if !slices.Contains(sorts, s) {
			return lq, httpapi.Invalid("sort", "must be one of "+strings.Join(sorts, ", "))
		}
		lq.sort = s
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return lq, httpapi.Invalid("limit", "must be an integer from 1 to 1000")
		}
		lq.limit = n
	}
	lq.token = q.Get("page_token")
	return lq, nil
}

// multi returns every value of a repeatable parameter, also split at commas.
func multi(q url.Values, key string) []string {
	var out []string
	for _, v := range q[key] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// sortKey is what a list is ordered by: a time, then the id to break ties.
type sortKey struct {
	t  time.Time
	id string
}

func (a sortKey) less(b sortKey) bool {
	if !a.t.Equal(b.t) {
		return a.t.Before(b.t)
	}
	return a.id < b.id
}

// paginate sorts items by key (descending when the sort starts with "-")
// and returns the page after lq.token. Page tokens are keyset cursors (the
// sort key of the last item), so items created or deleted between pages
// neither repeat nor shift the next page.
func paginate[T any](items []T, lq listQuery, key func(T, string) sortKey) ([]T, string, error) {
	field, desc := strings.TrimPrefix(lq.sort, "-"), strings.HasPrefix(lq.sort, "-")
	cmp := func(a, b sortKey) bool {
		if desc {
			return b.less(a)
		}
		return a.less(b)
	}
	slices.SortFunc(items, func(a, b T) int {
		ka, kb := key(a, field), key(b, field)
		switch {
		case cmp(ka, kb):
			return -1
		case cmp(kb, ka):
			return 1
		}
		return 0
	})
	start := 0
	if lq.token != "" {
		after, err := decodeToken(lq.token, lq.sort)
		if err != nil {
			return nil, "", err
		}
		start = len(items)
		for i, it := range items {
			if cmp(after, key(it, field)) {
				start = i
				break
			}
		}
	}
	page := items[start:]
	next := ""
	if len(page) > lq.limit {
		page = page[:lq.limit]
		next = encodeToken(lq.sort, key(page[len(page)-1], field))
	}
	return page, next, nil
}

// A page token is base64url("<sort>|<unix nanos>|<id>"): opaque to clients,
// tied to the sort it was made for.
func encodeToken(sort string, k sortKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(sort + "|" + strconv.FormatInt(k.t.UnixNano(), 10) + "|" + k.id))
}

func decodeToken(tok, sort string) (sortKey, error) {
	bad := httpapi.Invalid("page_token", "is not a page token of this list and sort")
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return sortKey{}, bad
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 || parts[0] != sort {
		return sortKey{}, bad
	}
	ns, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return sortKey{}, bad
	}
	return sortKey{t: time.Unix(0, ns), id: parts[2]}, nil
}
