package auth

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// keyRequest is the body of POST /api/v1/keys.
type keyRequest struct {
	Name   string   `json:"name"`
	Owner  string   `json:"owner"`
	Scopes []string `json:"scopes"`
	// ExpiresAt is read by hand so that a malformed time is a 400 naming
	// the field (encoding/json reports time errors without one).
	ExpiresAt json.RawMessage `json:"expires_at"`
}

// expiry parses expires_at: absent or null for none, else an RFC 3339 time.
func (req keyRequest) expiry() (*time.Time, *httpapi.Error) {
	raw := bytes.TrimSpace(req.ExpiresAt)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || len(s) > proto.MaxTimeLen {
		return nil, httpapi.Invalid("expires_at", "must be an RFC 3339 time such as 2027-01-01T00:00:00Z")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, httpapi.Invalid("expires_at", "must be an RFC 3339 time such as 2027-01-01T00:00:00Z")
	}
	return &t, nil
}

// CreateHandler serves POST /api/v1/keys (admin). maxPerOwner
// (limits.keys_per_tenant, 0 = unlimited) caps the keys of one owner.
func (k *Keys) CreateHandler(maxBody int64, maxPerOwner int) http.Handler {
	return httpapi.Handle(func(w http.ResponseWriter, r *http.Request) error {
		p, _ := From(r.Context())
		var req keyRequest
		if err := httpapi.DecodeJSON(w, r, maxBody, &req); err != nil {
			return err
		}
		if req.Owner == "" {
			req.Owner = p.Owner
		}
		expires, eerr := req.expiry()
		if eerr != nil {
			return eerr
		}
		n := NewKey{Name: req.Name, Owner: req.Owner, Scopes: req.Scopes, ExpiresAt: expires}
		if f, reason := n.Validate(); f != "" {
			return httpapi.Invalid(f, reason)
		}
		if n.ExpiresAt != nil && !n.ExpiresAt.After(time.Now()) {
			return httpapi.Invalid("expires_at", "must be in the future")
		}
		if maxPerOwner > 0 {
			// Serialised on this node so that two creates cannot both take
			// the last slot; see keyQuota.
			k.createMu.Lock()
			defer k.createMu.Unlock()
			if err := k.keyQuota(n.Owner, maxPerOwner); err != nil {
				return err
			}
		}
		key, err := k.Create(r.Context(), n)
		if err != nil {
			return err
		}
		httpapi.LoggerFrom(r.Context()).Info("API key created", "key_id", key.ID, "owner", key.Owner, "scopes", key.Scopes, "by", p.KeyID)
		httpapi.WriteJSON(w, http.StatusCreated, key)
		return nil
	})
}

// ListHandler serves GET /api/v1/keys (admin; ?owner= narrows).
func (k *Keys) ListHandler() http.Handler {
	return httpapi.Handle(func(w http.ResponseWriter, r *http.Request) error {
		items := k.List(r.URL.Query().Get("owner"))
		if items == nil {
			items = []proto.APIKey{}
		}
		httpapi.WriteJSON(w, http.StatusOK, proto.List[proto.APIKey]{Items: items})
		return nil
	})
}

// GetHandler serves GET /api/v1/keys/{id} (admin).
func (k *Keys) GetHandler() http.Handler {
	return httpapi.Handle(func(w http.ResponseWriter, r *http.Request) error {
		key, ok := k.Get(r.PathValue("id"))
		if !ok {
			return httpapi.NotFound("API key", r.PathValue("id"))
		}
		httpapi.WriteJSON(w, http.StatusOK, key)
		return nil
	})
}

// RevokeHandler serves DELETE /api/v1/keys/{id} (admin).
func (k *Keys) RevokeHandler() http.Handler {
	return httpapi.Handle(func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		if _, ok := k.Get(id); !ok {
			return httpapi.NotFound("API key", id)
		}
		if err := k.Revoke(r.Context(), id); err != nil {
			return err
		}
		p, _ := From(r.Context())
		httpapi.LoggerFrom(r.Context()).Info("API key revoked", "key_id", id, "by", p.KeyID)
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
