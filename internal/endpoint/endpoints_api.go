package endpoint

import (
	"net/http"
	"time"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/listing"
	"github.com/evtctl/evtctl/internal/webhook/ssrf"
	"github.com/evtctl/evtctl/pkg/proto"
)

// endpointRequest is the body of POST and PATCH /api/v1/endpoints: pointers
// tell "absent" (PATCH: unchanged) from a zero value.
type endpointRequest struct {
	Name    *string `json:"name"`
	Type    *string `json:"type"`
	URL     *string `json:"url"`
	Secret  *string `json:"secret"`
	Enabled *bool   `json:"enabled"`
	Owner   *string `json:"owner"`
	// Per-endpoint delivery settings (webhooks only).
	RateLimit   *float64           `json:"rate_limit"`
	Concurrency *int               `json:"concurrency"`
	Headers     *map[string]string `json:"headers"`
}

// applyDelivery copies the webhook delivery settings of req into ep.
func (pr *problems) applyDelivery(ep *proto.Endpoint, req endpointRequest) {
	if req.RateLimit == nil && req.Concurrency == nil && req.Headers == nil {
		return
	}
	if ep.Type != proto.EndpointWebhook {
		for _, f := range []struct {
			name string
			set  bool
		}{{"rate_limit", req.RateLimit != nil}, {"concurrency", req.Concurrency != nil}, {"headers", req.Headers != nil}} {
			if f.set {
				pr.add(f.name, "is only for webhook endpoints")
			}
		}
		return
	}
	if req.RateLimit != nil {
		ep.RateLimit = *req.RateLimit
		pr.rateLimit(ep.RateLimit)
	}
	if req.Concurrency != nil {
		ep.Concurrency = *req.Concurrency
		pr.concurrency(ep.Concurrency)
	}
	if req.Headers != nil {
		ep.Headers = *req.Headers
		if len(ep.Headers) == 0 {
			ep.Headers = nil
		}
		pr.headers(ep.Headers)
	}
}

// view is an endpoint as GET and list show it: without the signing secret,
// which only the creating, rotating and /secret responses carry.
func view(ep proto.Endpoint) proto.Endpoint {
	ep.Secret = ""
	ep.URL = ssrf.RedactURL(ep.URL) // credentials stored before they were refused
	return ep
}

// lookup returns the endpoint {id} if the caller may see it; another
// tenant's endpoint is a 404, so ids are not disclosed.
func (s *Service) lookup(r *http.Request) (proto.Endpoint, auth.Principal, error) {
	p, _ := auth.From(r.Context())
	id := r.PathValue("id")
	ep, ok := s.st.Endpoint(id)
	if !ok || !p.CanSee(ep.Owner) {
		return ep, p, httpapi.NotFound("endpoint", id)
	}
	return ep, p, nil
}

func (s *Service) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.From(r.Context())
	var req endpointRequest
	if err := httpapi.DecodeJSON(w, r, maxBody, &req); err != nil {
		return err
	}
	now := time.Now().UTC()
	ep := proto.Endpoint{ID: newID(), Owner: p.Owner, Enabled: true, CreatedAt: now, UpdatedAt: now}
	var pr problems
	if req.Name == nil {
		pr.add("name", "is required")
	} else {
		ep.Name = *req.Name
		pr.name(ep.Name)
	}
	if req.Owner != nil && *req.Owner != p.Owner {
		if !p.Admin() {
			return httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden, "Only an admin key may create endpoints for another owner.")
		}
		ep.Owner = *req.Owner
	}
	if reason := proto.CheckOwner(ep.Owner); reason != "" {
		pr.add("owner", "%s", reason)
	}
	if req.Enabled != nil {
		ep.Enabled = *req.Enabled
	}
	switch t := deref(req.Type); t {
	case proto.EndpointWebhook:
		ep.Type = t
		ep.URL = deref(req.URL)
		pr.webhookURL(ep.URL, s.ssrf)
		ep.Secret = NewSecret()
		if req.Secret != nil {
			ep.Secret = *req.Secret
			pr.secret(ep.Secret)
		}
	case proto.EndpointWebSocket:
		ep.Type = t
		if req.URL != nil {
			pr.add("url", "is only for webhook endpoints")
		}
		if req.Secret != nil {
			pr.add("secret", "is only for webhook endpoints")
		}
	case "":
		pr.add("type", `is required: "websocket" or "webhook"`)
	default:
		pr.add("type", `must be "websocket" or "webhook"`)
	}
	pr.applyDelivery(&ep, req)
	if err := pr.err(); err != nil {
		return err
	}
	s.createMu.Lock()
	defer s.createMu.Unlock()
	if err := s.endpointQuota(ep.Owner); err != nil {
		return err
	}
	if err := s.st.EndpointSet.Create(r.Context(), ep.ID, ep); err != nil {
		return err
	}
	httpapi.LoggerFrom(r.Context()).Info("endpoint created", "endpoint_id", ep.ID, "owner", ep.Owner, "type", ep.Type, "by", p.KeyID)
	httpapi.WriteJSON(w, http.StatusCreated, ep)
	return nil
}

func (s *Service) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.From(r.Context())
	q := r.URL.Query()
	lq, err := endpointList.Parse(q)
	if err != nil {
		return err
	}
	typ := q.Get("type")
	if typ != "" && typ != proto.EndpointWebhook && typ != proto.EndpointWebSocket {
		return httpapi.Invalid("type", `must be "websocket" or "webhook"`)
	}
	var items []proto.Endpoint
	for _, ep := range s.st.EndpointSet.List() {
		if !p.CanSee(ep.Owner) || (lq.Owner != "" && ep.Owner != lq.Owner) ||
			(typ != "" && ep.Type != typ) || !lq.Wants(ep.ID) {
			continue
		}
		items = append(items, view(ep))
	}
	page, next, err := listing.Page(items, lq, func(ep proto.Endpoint, field string) listing.Key {
		return listing.TimeKey(field, ep.ID, ep.CreatedAt, ep.UpdatedAt)
	})
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, proto.List[proto.Endpoint]{Items: page, NextPageToken: next})
	return nil
}

func (s *Service) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	ep, _, err := s.lookup(r)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, view(ep))
	return nil
}

func (s *Service) updateEndpoint(w http.ResponseWriter, r *http.Request) error {
	ep, p, err := s.lookup(r)
	if err != nil {
		return err
	}
	var req endpointRequest
	if err := httpapi.DecodeJSON(w, r, maxBody, &req); err != nil {
		return err
	}
	var pr problems
	if req.Type != nil && *req.Type != ep.Type {
		pr.add("type", "cannot be changed; create a new endpoint")
	}
	if req.Owner != nil && *req.Owner != ep.Owner {
		pr.add("owner", "cannot be changed; create a new endpoint")
	}
	if req.Name != nil {
		ep.Name = *req.Name
		pr.name(ep.Name)
	}
	if req.URL != nil {
		if ep.Type != proto.EndpointWebhook {
			pr.add("url", "is only for webhook endpoints")
		} else {
			ep.URL = *req.URL
			pr.webhookURL(ep.URL, s.ssrf)
		}
	}
	if req.Secret != nil {
		if ep.Type != proto.EndpointWebhook {
			pr.add("secret", "is only for webhook endpoints")
		} else {
			pr.secret(*req.Secret)
		}
	}
	pr.applyDelivery(&ep, req)
	if req.Enabled != nil {
		if *req.Enabled && !ep.Enabled {
			// A fresh start: the failures that disabled it are history, so
			// the auto-disable clock starts again at the next failure.
			ep.DisabledReason, ep.FailingSince = "", nil
		}
		ep.Enabled = *req.Enabled
	}
	if err := pr.err(); err != nil {
		return err
	}
	ep.UpdatedAt = time.Now().UTC()
	if req.Secret != nil && *req.Secret != ep.Secret {
		ep, err = s.st.RotateSecret(r.Context(), ep, *req.Secret, s.grace)
	} else {
		err = s.st.EndpointSet.Put(r.Context(), ep.ID, ep)
	}
	if err != nil {
		return err
	}
	httpapi.LoggerFrom(r.Context()).Info("endpoint updated", "endpoint_id", ep.ID, "by", p.KeyID)
	httpapi.WriteJSON(w, http.StatusOK, view(ep))
	return nil
}

func (s *Service) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	ep, p, err := s.lookup(r)
	if err != nil {
		return err
	}
	if err := s.st.DeleteEndpoint(r.Context(), ep.ID); err != nil {
		return err
	}
	httpapi.LoggerFrom(r.Context()).Info("endpoint deleted", "endpoint_id", ep.ID, "by", p.KeyID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// secretResponse is the body of GET /secret and POST /rotate-secret.
type secretResponse struct {
	Secret string `json:"secret"`
}

func (s *Service) getSecret(w http.ResponseWriter, r *http.Request) error {
	ep, _, err := s.lookup(r)
	if err != nil {
		return err
	}
	if ep.Type != proto.EndpointWebhook {
		return httpapi.Errorf(http.StatusNotFound, proto.CodeNotFound, "Endpoint %q is not a webhook and has no signing secret.", ep.ID)
	}
	httpapi.WriteJSON(w, http.StatusOK, secretResponse{Secret: ep.Secret})
	return nil
}

// rotateSecret serves POST /api/v1/endpoints/{id}/rotate-secret with an
// optional {"secret": "whsec_…"}; without one a new secret is generated.
func (s *Service) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	ep, p, err := s.lookup(r)
	if err != nil {
		return err
	}
	if ep.Type != proto.EndpointWebhook {
		return httpapi.Errorf(http.StatusNotFound, proto.CodeNotFound, "Endpoint %q is not a webhook and has no signing secret.", ep.ID)
	}
	var req struct {
		Secret *string `json:"secret"`
	}
	if r.ContentLength != 0 {
		if err := httpapi.DecodeJSON(w, r, maxBody, &req); err != nil {
			return err
		}
	}
	secret := NewSecret()
	if req.Secret != nil {
		var pr problems
		if pr.secret(*req.Secret); pr.err() != nil {
			return pr.err()
		}
		secret = *req.Secret
	}
	if _, err := s.st.RotateSecret(r.Context(), ep, secret, s.grace); err != nil {
		return err
	}
	httpapi.LoggerFrom(r.Context()).Info("endpoint secret rotated", "endpoint_id", ep.ID, "grace", s.grace, "by", p.KeyID)
	httpapi.WriteJSON(w, http.StatusOK, secretResponse{Secret: secret})
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
