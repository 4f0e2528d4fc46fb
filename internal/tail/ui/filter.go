package ui

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/evtctl/evtctl/internal/tail"
)

// filter is what the filter prompt accepts: space-separated terms, all of
// which must hold. "field:value" matches a column (family, source, device,
// agent, type) containing value; a bare word matches events whose JSON
// contains it; a leading "-" negates a term. Matching ignores case.
type filter struct {
	text  string
	terms []term
}

type term struct {
	field string // "" = the whole payload
	value string // lower case
	neg   bool
}

var filterFields = map[string]func(*tail.Item) string{
	"family": func(it *tail.Item) string { return string(it.Family) },
	"source": func(it *tail.Item) string { return it.Source },
	"device": func(it *tail.Item) string { return it.Routing.DeviceID },
	"agent":  func(it *tail.Item) string { return it.Routing.AgentID },
	"type":   func(it *tail.Item) string { return it.Routing.EventType },
}

func parseFilter(s string) (filter, error) {
	f := filter{text: strings.TrimSpace(s)}
	for _, w := range strings.Fields(s) {
		t := term{}
		if strings.HasPrefix(w, "-") && len(w) > 1 {
			t.neg, w = true, w[1:]
		}
		if k, v, ok := strings.Cut(w, ":"); ok {
			if _, known := filterFields[k]; !known {
				return filter{}, fmt.Errorf("unknown filter field %q: use family, source, device, agent or type", k)
			}
			t.field, w = k, v
		}
		t.value = strings.ToLower(w)
		f.terms = append(f.terms, t)
	}
	return f, nil
}

func (f filter) empty() bool { return len(f.terms) == 0 }

func (f filter) match(it *tail.Item) bool {
	var lower []byte
	for _, t := range f.terms {
		var ok bool
		if t.field != "" {
			ok = strings.Contains(strings.ToLower(filterFields[t.field](it)), t.value)
		} else {
			if lower == nil {
				lower = bytes.ToLower(it.Event)
			}
			ok = bytes.Contains(lower, []byte(t.value))
		}
		if ok == t.neg {
			return false
		}
	}
	return true
}
