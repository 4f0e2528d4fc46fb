package listing_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/listing"
	"github.com/evtctl/evtctl/pkg/proto"
)

var spec = listing.Spec{Sorts: listing.TimeSorts, Params: []string{"id", "owner", "type"}}

func parse(t *testing.T, s listing.Spec, raw string) (listing.Query, *httpapi.Error) {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	lq, err := s.Parse(q)
	var he *httpapi.Error
	if err != nil && !errors.As(err, &he) {
		t.Fatalf("%s: %v is not an API error", raw, err)
	}
	return lq, he
}

func TestParse(t *testing.T) {
	lq, e := parse(t, spec, "id=a,b&id=c&id=&owner=acme&sort=-updated_at&limit=7&page_token=x&type=webhook")
	if e != nil {
		t.Fatal(e)
	}
	if strings.Join(lq.IDs, " ") != "a b c" || lq.Owner != "acme" || lq.Sort != "-updated_at" || lq.Limit != 7 || lq.Token != "x" {
		t.Fatalf("%+v", lq)
	}
	if !lq.Wants("b") || lq.Wants("d") {
		t.Fatal("Wants")
	}
	lq, _ = parse(t, spec, "")
	if lq.Sort != "created_at" || lq.Limit != listing.DefaultLimit || !lq.Wants("any") {
		t.Fatalf("defaults: %+v", lq)
	}
	// The same errors on every list: 400 validation_failed naming the field.
	for raw, field := range map[string]string{
		"typo=1": "typo", "sort=name": "sort", "limit=0": "limit", "limit=1001": "limit", "limit=x": "limit",
	} {
		_, e := parse(t, spec, raw)
		if e == nil || e.Status != 400 || e.Code != proto.CodeValidationFailed || e.Details[0].Field != field {
			t.Errorf("%s: %+v", raw, e)
		}
	}
	_, e = parse(t, spec, "typo=1")
	if !strings.Contains(e.Message, "(id, owner, type, sort, limit, page_token)") {
		t.Errorf("unknown parameter message: %s", e.Message)
	}
	// A list without sort, id or owner takes none of them.
	for _, raw := range []string{"sort=created_at", "id=a", "owner=acme"} {
		if _, e := parse(t, listing.Spec{Params: []string{"status"}}, raw); e == nil {
			t.Errorf("%s accepted by a list without it", raw)
		}
	}
}

type item struct {
	id      string
	created time.Time
}

func key(it item, field string) listing.Key { return listing.Key{T: it.created, ID: it.id} }

func TestPageWalksBothWays(t *testing.T) {
	t0 := time.Date(2026, 3, 26, 9, 0, 0, 0, time.UTC)
	all := []item{{"c", t0}, {"a", t0}, {"b", t0.Add(time.Second)}, {"d", t0.Add(2 * time.Second)}, {"e", t0.Add(2 * time.Second)}}
	for sort, want := range map[string]string{"created_at": "a c b d e", "-created_at": "e d b c a"} {
		var got []string
		lq := listing.Query{Sort: sort, Limit: 2}
		for pages := 0; ; pages++ {
			page, next, err := listing.Page(append([]item(nil), all...), lq, key)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page {
				got = append(got, it.id)
			}
			if next == "" {
				break
			}
			if pages > 3 {
				t.Fatal("paging does not end")
			}
			lq.Token = next
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("%s: %s, want %s", sort, g, want)
		}
	}
}

// Tokens handed out before this package existed (the same encoding) still
// work; a token of another sort, or garbage, is invalid_cursor.
func TestTokens(t *testing.T) {
	t0 := time.Date(2026, 3, 26, 9, 0, 0, 0, time.UTC)
	all := []item{{"a", t0}, {"b", t0.Add(time.Second)}, {"c", t0.Add(2 * time.Second)}}
	// base64url("created_at|<unix nanos of b>|b"), as made by the old
	// composite and endpoint lists.
	old := "Y3JlYXRlZF9hdHwxNzc0NTE1NjAxMDAwMDAwMDAwfGI"
	page, _, err := listing.Page(all, listing.Query{Sort: "created_at", Limit: 10, Token: old}, key)
	if err != nil || len(page) != 1 || page[0].id != "c" {
		t.Fatalf("old token: %v %v", page, err)
	}
	for _, q := range []listing.Query{
		{Sort: "-created_at", Limit: 10, Token: old}, {Sort: "created_at", Limit: 10, Token: "bm9wZQ"},
		{Sort: "created_at", Limit: 10, Token: "%%%"},
	} {
		_, _, err := listing.Page(all, q, key)
		var he *httpapi.Error
		if !errors.As(err, &he) || he.Status != 400 || he.Code != proto.CodeInvalidCursor || he.Details[0].Field != "page_token" {
			t.Errorf("%+v: %v", q, err)
		}
	}
	// Positions: decimal, as deliveries always had them.
	if n, err := listing.Position(listing.Query{Token: "42"}); n != 42 || err != nil {
		t.Fatal(n, err)
	}
	if _, err := listing.Position(listing.Query{Token: "abc"}); err == nil {
		t.Fatal("position abc accepted")
	}
	if listing.PositionToken(42) != "42" || listing.PositionToken(0) != "" {
		t.Fatal("PositionToken")
	}
}
