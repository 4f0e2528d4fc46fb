package composite

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Routes implements component.Component: the rules resource of docs/contract.md#rules.
func (s *Service) Routes() []component.Route {
	admin := []string{proto.ScopeAdmin}
	return []component.Route{
		{Method: "POST", Pattern: "/api/v1/rules", Scopes: admin, Summary: "Create a composite rule.", Handler: httpapi.Handle(s.create)},
		{Method: "GET", Pattern: "/api/v1/rules", Scopes: admin, Summary: "List composite rules (id, owner, sort, limit, page_token).", Handler: httpapi.Handle(s.list)},
		{Method: "GET", Pattern: "/api/v1/rules/{id}", Scopes: admin, Summary: "Get a composite rule.", Handler: httpapi.Handle(s.get)},
		{Method: "PATCH", Pattern: "/api/v1/rules/{id}", Scopes: admin, Summary: "Change a composite rule; applies to new events at once on every node.", Handler: httpapi.Handle(s.patch)},
		{Method: "DELETE", Pattern: "/api/v1/rules/{id}", Scopes: admin, Summary: "Delete a composite rule.", Handler: httpapi.Handle(s.delete)},
	}
}

func (s *Service) maxBody() int64 { return s.cfg.Server.MaxBodyBytes }

// ruleQuotaMu serialises the quota check and the write of rule creates (and
// moves to another owner) in this process, so two at once cannot both take
// an owner's last slot. Creates on different nodes at the same moment may
// exceed limits.rules_per_tenant by one per node (docs/api.md).
var ruleQuotaMu sync.Mutex

// ruleQuota refuses one more rule for owner when it has
// limits.rules_per_tenant; the count is the node's mirror of the rules
// bucket, which a create on this node updates before it returns.
func (s *Service) ruleQuota(owner string) error {
	n := s.rules.Count(func(r proto.Rule) bool { return r.Owner == owner })
	return httpapi.Quota(n, s.cfg.Limits.RulesPerTenant, fmt.Sprintf("Owner %q", owner), "composite rules", "limits.rules_per_tenant")
}

func (s *Service) create(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.From(r.Context())
	var in ruleInput
	if err := httpapi.DecodeJSON(w, r, s.maxBody(), &in); err != nil {
		return err
	}
	// Defaults: the caller's tenant, enabled, grouped by label as in
	// the edge audio box's rule (docs/sources.md#rule-object).
	rule := proto.Rule{Owner: p.Owner, Enabled: true, GroupBy: proto.GroupByLabel}
	if in.ID != nil {
		rule.ID = *in.ID
	} else {
		rule.ID = "rule_" + auth.NewID(12)
	}
	in.apply(&rule)
	if errs := validate(&rule); len(errs) > 0 {
		return invalid(errs)
	}
	if !p.CanSee(rule.Owner) {
		return httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden, "Only an admin key may create rules for another owner.")
	}
	now := time.Now().UTC()
	rule.CreatedAt, rule.UpdatedAt, rule.CountingSince = now, now, now
	ruleQuotaMu.Lock()
	defer ruleQuotaMu.Unlock()
	if err := s.ruleQuota(rule.Owner); err != nil {
		return err
	}
	if err := s.rules.Create(r.Context(), rule.ID, rule); err != nil {
		if errors.Is(err, store.ErrExists) {
			return httpapi.Errorf(http.StatusConflict, proto.CodeConflict, "A rule with id %q already exists.", rule.ID)
		}
		return err
	}
	httpapi.LoggerFrom(r.Context()).Info("composite rule created", "rule_id", rule.ID, "owner", rule.Owner, "by", p.KeyID)
	w.Header().Set("Location", "/api/v1/rules/"+rule.ID)
	httpapi.WriteJSON(w, http.StatusCreated, rule)
	return nil
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.From(r.Context())
	lq, err := listSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if !p.Admin() { // the route needs admin; kept so the rule holds if that changes
		lq.Owner = p.Owner
	}
	out, err := page(s.rules.List(), lq)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

// lookup returns the rule with the path's id, or 404 when it does not
// exist or belongs to a tenant the caller cannot see.
func (s *Service) lookup(r *http.Request) (proto.Rule, error) {
	p, _ := auth.From(r.Context())
	id := r.PathValue("id")
	rule, ok := s.rules.Get(id)
	if !ok || !p.CanSee(rule.Owner) {
		return proto.Rule{}, httpapi.NotFound("rule", id)
	}
	return rule, nil
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) error {
	rule, err := s.lookup(r)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, rule)
	return nil
}

func (s *Service) patch(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.From(r.Context())
	rule, err := s.lookup(r)
	if err != nil {
		return err
	}
	var in ruleInput
	if err := httpapi.DecodeJSON(w, r, s.maxBody(), &in); err != nil {
		return err
	}
	if in.ID != nil && *in.ID != rule.ID {
		return httpapi.Invalid("id", "cannot be changed")
	}
	before := rule
	in.apply(&rule)
	if errs := validate(&rule); len(errs) > 0 {
		return invalid(errs)
	}
	if !p.CanSee(rule.Owner) {
		return httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden, "Only an admin key may move rules to another owner.")
	}
	if rule.Owner != before.Owner {
		// Moving a rule to another tenant counts there like a create.
		ruleQuotaMu.Lock()
		defer ruleQuotaMu.Unlock()
		if err := s.ruleQuota(rule.Owner); err != nil {
			return err
		}
	}
	rule.UpdatedAt = time.Now().UTC()
	if !sameWindows(before, rule) { // the engine drops the open windows (PutRule)
		rule.CountingSince = rule.UpdatedAt
	}
	if err := s.rules.Put(r.Context(), rule.ID, rule); err != nil {
		return err
	}
	httpapi.LoggerFrom(r.Context()).Info("composite rule updated", "rule_id", rule.ID, "owner", rule.Owner, "by", p.KeyID)
	httpapi.WriteJSON(w, http.StatusOK, rule)
	return nil
}

func (s *Service) delete(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.From(r.Context())
	rule, err := s.lookup(r)
	if err != nil {
		return err
	}
	if err := s.rules.Delete(r.Context(), rule.ID); err != nil {
		return err
	}
	httpapi.LoggerFrom(r.Context()).Info("composite rule deleted", "rule_id", rule.ID, "owner", rule.Owner, "by", p.KeyID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
