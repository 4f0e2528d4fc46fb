// Package query serves the read side of the event log: GET /api/v1/events
// and the composite event lookups, always scoped to the caller's tenant.
package query

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Limits of one page.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Handler serves the query routes.
type Handler struct {
	Log *store.Log
}

// params is a parsed GET /api/v1/events request.
type params struct {
	filter store.Filter
	// devices limits the query to a JWT's devices (nil: no limit).
	devices []string
	since   time.Time
	until   time.Time
	after   uint64
	limit   int
}

func parseParams(q url.Values, p auth.Principal) (params, error) {
	var out params
	for k := range q {
		switch k {
		case "family", "device_id", "agent_id", "event_type", "since", "until", "after", "limit", "owner", "access_token":
		default:
			return out, httpapi.Errorf(http.StatusBadRequest, proto.CodeBadRequest,
				"Unknown query parameter %q (want family, device_id, agent_id, event_type, since, until, after, limit or owner).", k)
		}
	}
	for _, name := range []string{"device_id", "agent_id", "event_type"} {
		if v := q.Get(name); v != "" {
			if reason := proto.CheckIdent(v); reason != "" {
				return out, httpapi.Invalid(name, reason)
			}
		}
	}
	out.filter = store.Filter{Owner: p.Owner, DeviceID: q.Get("device_id"), AgentID: q.Get("agent_id"), EventType: q.Get("event_type")}
	out.devices = p.Devices
	if d := out.filter.DeviceID; d != "" && !p.MayStream(d) {
		return out, httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden, "This token is limited to other devices than %q.", httpapi.Clip(d))
	}
	if o, ok := q["owner"]; ok {
		if !p.Admin() && o[0] != p.Owner {
			return out, httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden, "Only an admin key may read another owner's events.")
		}
		if reason := proto.CheckOwner(o[0]); reason != "" {
			return out, httpapi.Invalid("owner", reason)
		}
		out.filter.Owner = o[0]
	} else if p.Admin() {
		out.filter.Owner = "" // admin sees every tenant unless narrowed
	}
	if f := q.Get("family"); f != "" {
		fam, err := proto.ParseRecordedFamily(f)
		if err != nil {
			return out, httpapi.Invalid("family", err.Error())
		}
		out.filter.Family = string(fam)
	}
	var err error
	if out.since, err = parseTime(q, "since"); err != nil {
		return out, err
	}
	if out.until, err = parseTime(q, "until"); err != nil {
		return out, err
	}
	if !out.since.IsZero() && !out.until.IsZero() && out.until.Before(out.since) {
		return out, httpapi.Invalid("until", "must not be before since")
	}
	if a := q.Get("after"); a != "" {
		out.after, err = ParseCursor("after", a)
		if err != nil {
			return out, err
		}
	}
	out.limit = DefaultLimit
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxLimit {
			return out, httpapi.Invalid("limit", "must be a whole number from 1 to "+strconv.Itoa(MaxLimit))
		}
		out.limit = n
	}
	return out, nil
}

// subjects are the log subjects a query reads: its filter, or, for a
// caller limited to some devices (a JWT's devices claim) that named none,
// the filter once per device.
func (p params) subjects() []string {
	if p.devices == nil || p.filter.DeviceID != "" {
		return []string{p.filter.Subject()}
	}
	out := make([]string, 0, len(p.devices))
	for _, d := range p.devices {
		f := p.filter
		f.DeviceID = d
		out = append(out, f.Subject())
	}
	return out
}

func parseTime(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := proto.ParseTime(v)
	if err != nil {
		return t, httpapi.Invalid(name, "is not a valid time (want RFC 3339, e.g. 2026-03-26T09:00:00Z)")
	}
	return t, nil
}

// ParseCursor parses an event cursor (a log position) given in field.
func ParseCursor(field, s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, &httpapi.Error{Status: http.StatusBadRequest, Code: proto.CodeInvalidCursor,
			Message: fmt.Sprintf("%s %q is not a cursor; use the cursor value of an event from this API or a stream.", field, httpapi.Clip(s)),
			Details: []proto.FieldError{{Field: field, Reason: "must be a cursor (a decimal position)"}}}
	}
	return n, nil
}

// FormatCursor renders a log sequence as a cursor.
func FormatCursor(seq uint64) string { return strconv.FormatUint(seq, 10) }

// page reads the page of events the list parameters q ask for: up to
// limit records and the cursor of the next page, "" on the last.
func (h *Handler) page(r *http.Request, q url.Values) ([]store.Record, string, error) {
	pr, _ := auth.From(r.Context())
	p, err := parseParams(q, pr)
	if err != nil {
		return nil, "", err
	}
	opts := store.ReadOptions{Filters: p.subjects()}
	if p.after > 0 {
		opts.StartSeq = p.after + 1
	} else if !p.since.IsZero() {
		opts.StartTime = p.since
	}
	var recs []store.Record
	more := false
	err = h.Log.Read(r.Context(), opts, func(rec store.Record) bool {
		if !p.since.IsZero() && rec.ReceivedAt.Before(p.since) {
			return true
		}
		if !p.until.IsZero() && rec.ReceivedAt.After(p.until) {
			return false
		}
		if len(recs) == p.limit {
			more = true
			return false
		}
		recs = append(recs, rec)
		return true
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if more && len(recs) > 0 {
		next = FormatCursor(recs[len(recs)-1].Seq)
	}
	return recs, next, nil
}

// Events serves GET /api/v1/events.
func (h *Handler) Events() http.Handler {
	return httpapi.Handle(func(w http.ResponseWriter, r *http.Request) error {
		recs, next, err := h.page(r, r.URL.Query())
		if err != nil {
			return err
		}
		page := proto.EventPage{Items: make([]proto.EventRecord, 0, len(recs)), NextCursor: next}
		for _, rec := range recs {
			page.Items = append(page.Items, proto.EventRecord{
				Cursor:     FormatCursor(rec.Seq),
				Family:     proto.Family(rec.Address.Family),
				Owner:      rec.Address.Owner,
				ReceivedAt: rec.ReceivedAt.UTC(),
				Event:      json.RawMessage(rec.Data),
			})
		}
		httpapi.WriteJSON(w, http.StatusOK, page)
		return nil
	})
}

// Composites serves GET /api/v1/composite-events: the payloads exactly as
// streamed, newest last, with the same paging as /api/v1/events.
func (h *Handler) Composites() http.Handler {
	return httpapi.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := noComposites(r); err != nil {
			return err
		}
		q := r.URL.Query()
		if f := q.Get("family"); f != "" && f != string(proto.FamilyComposite) {
			return httpapi.Invalid("family", "must be composite here")
		}
		q.Set("family", string(proto.FamilyComposite))
		recs, next, err := h.page(r, q)
		if err != nil {
			return err
		}
		type page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor,omitempty"`
		}
		out := page{Items: make([]json.RawMessage, 0, len(recs)), NextCursor: next}
		for _, rec := range recs {
			out.Items = append(out.Items, rec.Data)
		}
		httpapi.WriteJSON(w, http.StatusOK, out)
		return nil
	})
}

// noComposites refuses the composite routes to a caller limited to some
// devices (a JWT's devices claim): a composite gathers events of any
// device of the tenant.
func noComposites(r *http.Request) error {
	if p, _ := auth.From(r.Context()); p.Devices != nil {
		return httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden,
			"This token is limited to some devices; composite events gather every device's and are not for it.")
	}
	return nil
}

// Composite serves GET /api/v1/composite-events/{id}.
func (h *Handler) Composite() http.Handler {
	return httpapi.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := noComposites(r); err != nil {
			return err
		}
		pr, _ := auth.From(r.Context())
		id := r.PathValue("id")
		if reason := proto.CheckIdent(id); reason != "" {
			return httpapi.Invalid("id", reason)
		}
		subject := store.CompositeAddress(pr.Owner, id).Subject()
		if pr.Admin() {
			subject = store.Filter{Family: string(proto.FamilyComposite), DeviceID: id, EventType: "composite"}.Subject()
		}
		rec, err := h.Log.Last(r.Context(), subject)
		if errors.Is(err, store.ErrNotFound) {
			return httpapi.NotFound("composite event", id)
		}
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(rec.Data, '\n'))
		return nil
	})
}
