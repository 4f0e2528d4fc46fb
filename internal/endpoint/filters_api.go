package endpoint

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/listing"
	"github.com/evtctl/evtctl/pkg/proto"
)

// filterRequest is the body of POST and PATCH /api/v1/event-filters. A
// filter's owner is always its endpoint's owner: a filter narrows what the
// endpoint's tenant receives and cannot reach another tenant's events.
type filterRequest struct {
	Name         *string   `json:"name"`
	EndpointID   *string   `json:"endpoint_id"`
	DeviceIDs    *[]string `json:"device_ids"`
	AgentIDs     *[]string `json:"agent_ids"`
	WatchlistIDs *[]string `json:"watchlist_ids"`
	EventTypes   *[]string `json:"event_types"`
	Where        *string   `json:"where"`
}

// apply copies the present fields of req into f and validates the result.
func (s *Service) applyFilter(p auth.Principal, f *proto.EventFilter, req filterRequest, creating bool) problems {
	var pr problems
	if req.Name != nil {
		f.Name = *req.Name
	}
	if creating || req.Name != nil {
		pr.name(f.Name)
	}
	if req.EndpointID != nil {
		ep, ok := s.st.Endpoint(*req.EndpointID)
		switch {
		case *req.EndpointID == "":
			pr.add("endpoint_id", "is required")
		case !ok || !p.CanSee(ep.Owner):
			pr.add("endpoint_id", "is not an existing endpoint")
		case !creating && ep.Owner != f.Owner:
			pr.add("endpoint_id", "must be an endpoint of the same owner")
		default:
			f.EndpointID, f.Owner = ep.ID, ep.Owner
		}
	} else if creating {
		pr.add("endpoint_id", "is required")
	}
	set := func(dst *[]string, src *[]string, field string) {
		if src != nil {
			*dst = slices.Compact(slices.Sorted(slices.Values(*src)))
			pr.list(field, *src)
		}
	}
	set(&f.DeviceIDs, req.DeviceIDs, "device_ids")
	set(&f.AgentIDs, req.AgentIDs, "agent_ids")
	set(&f.WatchlistIDs, req.WatchlistIDs, "watchlist_ids")
	set(&f.EventTypes, req.EventTypes, "event_types")
	if req.Where != nil {
		f.Where = strings.TrimSpace(*req.Where)
		pr.where(f.Where)
	}
	return pr
}

func (s *Service) lookupFilter(r *http.Request) (proto.EventFilter, auth.Principal, error) {
	p, _ := auth.From(r.Context())
	id := r.PathValue("id")
	f, ok := s.st.FilterSet.Get(id)
	if !ok || !p.CanSee(f.Owner) {
		return f, p, httpapi.NotFound("event filter", id)
	}
	return f, p, nil
}

func (s *Service) createFilter(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.From(r.Context())
	var req filterRequest
	if err := httpapi.DecodeJSON(w, r, maxBody, &req); err != nil {
		return err
	}
	now := time.Now().UTC()
	f := proto.EventFilter{ID: newID(), CreatedAt: now, UpdatedAt: now}
	if err := s.applyFilter(p, &f, req, true).err(); err != nil {
		return err
	}
	s.createMu.Lock()
	defer s.createMu.Unlock()
	if err := s.filterQuota(f.EndpointID); err != nil {
		return err
	}
	if err := s.st.FilterSet.Create(r.Context(), f.ID, f); err != nil {
		return err
	}
	httpapi.LoggerFrom(r.Context()).Info("event filter created", "filter_id", f.ID, "endpoint_id", f.EndpointID, "by", p.KeyID)
	httpapi.WriteJSON(w, http.StatusCreated, f)
	return nil
}

func (s *Service) listFilters(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.From(r.Context())
	q := r.URL.Query()
	lq, err := filterList.Parse(q)
	if err != nil {
		return err
	}
	eps := listing.Multi(q, "endpoint_id")
	var items []proto.EventFilter
	for _, f := range s.st.FilterSet.List() {
		if !p.CanSee(f.Owner) || (lq.Owner != "" && f.Owner != lq.Owner) ||
			(len(eps) > 0 && !slices.Contains(eps, f.EndpointID)) || !lq.Wants(f.ID) {
			continue
		}
		items = append(items, f)
	}
	page, next, err := listing.Page(items, lq, func(f proto.EventFilter, field string) listing.Key {
		return listing.TimeKey(field, f.ID, f.CreatedAt, f.UpdatedAt)
	})
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, proto.List[proto.EventFilter]{Items: page, NextPageToken: next})
	return nil
}

func (s *Service) getFilter(w http.ResponseWriter, r *http.Request) error {
	f, _, err := s.lookupFilter(r)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, f)
	return nil
}

func (s *Service) updateFilter(w http.ResponseWriter, r *http.Request) error {
	f, p, err := s.lookupFilter(r)
	if err != nil {
		return err
	}
	var req filterRequest
	if err := httpapi.DecodeJSON(w, r, maxBody, &req); err != nil {
		return err
	}
	moved := f.EndpointID
	if err := s.applyFilter(p, &f, req, false).err(); err != nil {
		return err
	}
	if f.EndpointID != moved {
		// Moving a filter to another endpoint counts there like a create.
		s.createMu.Lock()
		defer s.createMu.Unlock()
		if err := s.filterQuota(f.EndpointID); err != nil {
			return err
		}
	}
	f.UpdatedAt = time.Now().UTC()
	if err := s.st.FilterSet.Put(r.Context(), f.ID, f); err != nil {
		return err
	}
	httpapi.LoggerFrom(r.Context()).Info("event filter updated", "filter_id", f.ID, "by", p.KeyID)
	httpapi.WriteJSON(w, http.StatusOK, f)
	return nil
}

func (s *Service) deleteFilter(w http.ResponseWriter, r *http.Request) error {
	f, p, err := s.lookupFilter(r)
	if err != nil {
		return err
	}
	if err := s.st.FilterSet.Delete(r.Context(), f.ID); err != nil {
		return err
	}
	httpapi.LoggerFrom(r.Context()).Info("event filter deleted", "filter_id", f.ID, "by", p.KeyID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
