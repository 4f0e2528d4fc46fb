package apiclient

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// Page is one page of a list answer (docs/contract.md#paging):
// {"items":[…],"next_page_token":"…"}; an empty token means the last page.
type Page[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"next_page_token,omitempty"`
}

// MaxPageSize is the largest page ListAll asks for.
const MaxPageSize = 100

// ListAll fetches path page by page, following next_page_token (sent back as
// page_token), until the last page or until limit items (0 = all). When
// limit > 0 and query has no "limit", each request asks for at most
// min(remaining, MaxPageSize) items, so `list --limit 5` fetches 5. query is
// not modified. The result is never nil.
func ListAll[T any](ctx context.Context, c *Client, path string, query url.Values, limit int) ([]T, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = append([]string(nil), v...)
	}
	_, callerSize := query["limit"]
	items := []T{}
	seen := map[string]bool{}
	for {
		if limit > 0 && !callerSize {
			q.Set("limit", strconv.Itoa(min(limit-len(items), MaxPageSize)))
		}
		var page Page[T]
		if err := c.Do(ctx, "GET", path, q, nil, &page); err != nil {
			return nil, err
		}
		items = append(items, page.Items...)
		if limit > 0 && len(items) >= limit {
			return items[:limit], nil
		}
		tok := page.NextPageToken
		if tok == "" {
			return items, nil
		}
		if seen[tok] {
			return nil, fmt.Errorf("the gateway returned page token %q twice for %s; stopping to avoid a loop", tok, path)
		}
		seen[tok] = true
		q.Set("page_token", tok)
	}
}
