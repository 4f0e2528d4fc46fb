// Package listing is what the list routes of the management API share:
// their common query parameters (id, owner, sort, limit, page_token), parsed
// with the same errors on every route, and their keyset page tokens.
//
// Two kinds of page token exist, both opaque to clients:
//
//   - Time-sorted resource lists (rules, endpoints, event filters) hand out
//     base64url("<sort>|<unix nanos>|<id>"), the sort key of the page's last
//     item, valid only with the sort it was made for ([Page]).
//   - Lists read in storage order (webhook deliveries) hand out the decimal
//     position of the page's last item ([Position], [PositionToken]).
//
// Both are keyset cursors: items created or deleted between two pages
// neither repeat nor shift the next page. A token that is not one of the
// list's own is 400 invalid_cursor naming page_token.
package listing

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Bounds of ?limit=.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// TimeSorts are the sorts of the resource lists: by creation or last
// change, oldest first or (with "-") newest first; ties by id.
var TimeSorts = []string{"created_at", "-created_at", "updated_at", "-updated_at"}

// Spec describes the parameters of one list route. limit and page_token
// are always taken; sort when Sorts is set.
type Spec struct {
	// Sorts are the values ?sort= accepts, the default first; empty when
	// the list has one fixed order and no ?sort=.
	Sorts []string
	// Params are the further parameters the route takes, in the order the
	// error for an unknown parameter names them. "id" and "owner" are read
	// into Query; the others are the route's own to read.
	Params []string
}

// Query is a list request's common parameters.
type Query struct {
	IDs   []string // ?id=, repeatable and comma-separated; empty = all
	Owner string   // ?owner=; "" = every tenant the caller sees
	Sort  string   // one of Spec.Sorts; "" when the list has no sort
	Limit int      // 1..MaxLimit, DefaultLimit when absent
	Token string   // ?page_token= as given; "" = the first page
}

// Parse reads q's common parameters and refuses any parameter the route
// does not take (a typo must not silently widen a list).
func (s Spec) Parse(q url.Values) (Query, error) {
	allowed := s.params()
	for k := range q {
		if !slices.Contains(allowed, k) {
			return Query{}, httpapi.Invalid(k, "is not a parameter of this list ("+strings.Join(allowed, ", ")+")")
		}
	}
	lq := Query{Limit: DefaultLimit, Token: q.Get("page_token")}
	if len(s.Sorts) > 0 {
		lq.Sort = s.Sorts[0]
		if v := q.Get("sort"); v != "" {
			if !slices.Contains(s.Sorts, v) {
				return Query{}, httpapi.Invalid("sort", "must be one of "+strings.Join(s.Sorts, ", "))
			}
			lq.Sort = v
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return Query{}, httpapi.Invalid("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxLimit))
		}
		lq.Limit = n
	}
	if slices.Contains(s.Params, "id") {
		lq.IDs = Multi(q, "id")
	}
	if slices.Contains(s.Params, "owner") {
		lq.Owner = q.Get("owner")
	}
	return lq, nil
}

// params are every parameter the route takes.
func (s Spec) params() []string {
	out := slices.Clone(s.Params)
	if len(s.Sorts) > 0 {
		out = append(out, "sort")
	}
	return append(out, "limit", "page_token")
}

// Multi returns every value of a repeatable parameter, also split at
// commas, without empty ones.
func Multi(q url.Values, key string) []string {
	var out []string
	for _, v := range q[key] {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// Wants reports whether the query selects id: no ?id= selects every id.
func (lq Query) Wants(id string) bool {
	return len(lq.IDs) == 0 || slices.Contains(lq.IDs, id)
}

// BadToken is the error for a page_token that is not one of this list's.
func BadToken(q Query) error {
	msg, reason := "The page_token is not one this list returned; start again without it.", "is not a page token of this list"
	if q.Sort != "" {
		msg = fmt.Sprintf("The page_token is not one this list returned with sort=%s; start again without it.", q.Sort)
		reason += " and sort"
	}
	return &httpapi.Error{Status: http.StatusBadRequest, Code: proto.CodeInvalidCursor, Message: msg,
		Details: []proto.FieldError{{Field: "page_token", Reason: reason}}}
}

// Key is an item's place in a time-sorted list: the time it is sorted by,
// then its id to break ties.
type Key struct {
	T  time.Time
	ID string
}

// TimeKey is an item's key in a list sorted by one of TimeSorts (field
// without the sign): its last change for "updated_at", else its creation.
func TimeKey(field, id string, created, updated time.Time) Key {
	if field == "updated_at" {
		return Key{T: updated, ID: id}
	}
	return Key{T: created, ID: id}
}

func (a Key) compare(b Key) int { return cmp.Or(a.T.Compare(b.T), strings.Compare(a.ID, b.ID)) }

// Page orders items by key (descending when q.Sort starts with "-"; key is
// given the sort's field without the sign) and returns the page after
// q.Token with the token of the next page, "" on the last page. items is
// sorted in place.
func Page[T any](items []T, q Query, key func(item T, field string) Key) ([]T, string, error) {
	field, desc := strings.TrimPrefix(q.Sort, "-"), strings.HasPrefix(q.Sort, "-")
	compare := func(a, b Key) int {
		if desc {
			return b.compare(a)
		}
		return a.compare(b)
	}
	slices.SortFunc(items, func(a, b T) int { return compare(key(a, field), key(b, field)) })
	if q.Token != "" {
		after, ok := decodeToken(q.Token, q.Sort)
		if !ok {
			return nil, "", BadToken(q)
		}
		start, _ := slices.BinarySearchFunc(items, after, func(it T, k Key) int {
			if compare(key(it, field), k) <= 0 {
				return -1
			}
			return 1
		})
		items = items[start:]
	}
	if len(items) <= q.Limit {
		return items, "", nil
	}
	items = items[:q.Limit]
	return items, encodeToken(q.Sort, key(items[len(items)-1], field)), nil
}

// encodeToken makes the page token of a time-sorted list:
// base64url("<sort>|<unix nanos>|<id>").
func encodeToken(sort string, k Key) string {
	return base64.RawURLEncoding.EncodeToString([]byte(sort + "|" + strconv.FormatInt(k.T.UnixNano(), 10) + "|" + k.ID))
}

func decodeToken(tok, sort string) (Key, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return Key{}, false
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 || parts[0] != sort {
		return Key{}, false
	}
	ns, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return Key{}, false
	}
	return Key{T: time.Unix(0, ns).UTC(), ID: parts[2]}, true
}

// Position reads the page token of a list in storage order: the position
// of the previous page's last item, 0 for the first page.
func Position(q Query) (uint64, error) {
	if q.Token == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(q.Token, 10, 64)
	if err != nil {
		return 0, BadToken(q)
	}
	return n, nil
}

// PositionToken makes the page token that continues after position last;
// "" (no next page) for 0.
func PositionToken(last uint64) string {
	if last == 0 {
		return ""
	}
	return strconv.FormatUint(last, 10)
}
