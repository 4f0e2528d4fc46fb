package composite

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Limits of a rule. MaxWindowSeconds also bounds how much log a restarting
// node reads back (see rebuild.go).
const (
	MaxWindowSeconds   = 86400
	MaxCooldownSeconds = 86400
	MaxMinEvents       = 1000
	maxListIDs         = 1000
	maxNameLen         = 200
	maxDescriptionLen  = 2000
)

// ruleIDPattern keeps ids usable as KV keys and in URLs.
var ruleIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ruleInput is the body of POST and PATCH /api/v1/rules: every field
// optional so PATCH can tell "absent" from "set to zero".
type ruleInput struct {
	ID              *string   `json:"id"`
	Owner           *string   `json:"owner"`
	Name            *string   `json:"name"`
	Description     *string   `json:"description"`
	WindowSeconds   *int      `json:"window_seconds"`
	MinEvents       *int      `json:"min_events"`
	Enabled         *bool     `json:"enabled"`
	GroupBy         *string   `json:"group_by"`
	IncludeLabelIDs *[]string `json:"include_label_ids"`
	IncludeMicIDs   *[]string `json:"include_mic_ids"`
	CooldownSeconds *int      `json:"cooldown_seconds"`
}

// apply copies the present fields onto r.
func (in *ruleInput) apply(r *proto.Rule) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&r.Owner, in.Owner)
	set(&r.Name, in.Name)
	set(&r.Description, in.Description)
	set(&r.GroupBy, in.GroupBy)
	if in.WindowSeconds != nil {
		r.WindowSeconds = *in.WindowSeconds
	}
	if in.MinEvents != nil {
		r.MinEvents = *in.MinEvents
	}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	if in.CooldownSeconds != nil {
		r.CooldownSeconds = *in.CooldownSeconds
	}
	if in.IncludeLabelIDs != nil {
		r.IncludeLabelIDs = slices.Clone(*in.IncludeLabelIDs)
	}
	if in.IncludeMicIDs != nil {
		r.IncludeMicIDs = slices.Clone(*in.IncludeMicIDs)
	}
}

// validate lists every problem of r, so a client fixes them in one go.
func validate(r *proto.Rule) []proto.FieldError {
	var errs []proto.FieldError
	add := func(field, reason string) { errs = append(errs, proto.FieldError{Field: field, Reason: reason}) }
	if !ruleIDPattern.MatchString(r.ID) {
		add("id", "must be 1 to 64 letters, digits, '_' or '-'")
	}
	if reason := proto.CheckOwner(r.Owner); reason != "" {
		add("owner", reason)
	}
	switch n := utf8.RuneCountInString(r.Name); {
	case n == 0:
		add("name", "is required")
	case n > maxNameLen:
		add("name", fmt.Sprintf("must be at most %d characters", maxNameLen))
	default:
		if reason := proto.CheckText(r.Name, 4*maxNameLen); reason != "" {
			add("name", reason)
		}
	}
	if utf8.RuneCountInString(r.Description) > maxDescriptionLen {
		add("description", fmt.Sprintf("must be at most %d characters", maxDescriptionLen))
	} else if !utf8.ValidString(r.Description) { // line breaks are fine in a description
		add("description", "must be valid UTF-8")
	}
	if r.WindowSeconds < 1 || r.WindowSeconds > MaxWindowSeconds {
		add("window_seconds", fmt.Sprintf("must be between 1 and %d", MaxWindowSeconds))
	}
	if r.MinEvents < 1 || r.MinEvents > MaxMinEvents {
		add("min_events", fmt.Sprintf("must be between 1 and %d", MaxMinEvents))
	}
	if r.CooldownSeconds < 0 || r.CooldownSeconds > MaxCooldownSeconds {
		add("cooldown_seconds", fmt.Sprintf("must be between 0 and %d", MaxCooldownSeconds))
	}
	switch r.GroupBy {
	case proto.GroupByLabel, proto.GroupByMic, proto.GroupByEdge:
	default:
		add("group_by", fmt.Sprintf("must be %s, %s or %s", proto.GroupByLabel, proto.GroupByMic, proto.GroupByEdge))
	}
	checkIDs := func(field string, ids []string) {
		if len(ids) > maxListIDs {
			add(field, fmt.Sprintf("must list at most %d ids", maxListIDs))
			return
		}
		seen := make(map[string]bool, len(ids))
		for i, id := range ids {
			f := fmt.Sprintf("%s[%d]", field, i)
			switch reason := proto.CheckIdent(id); {
			case reason != "":
				add(f, reason)
			case seen[id]:
				add(f, "repeats an earlier id")
			}
			seen[id] = true
		}
	}
	checkIDs("include_label_ids", r.IncludeLabelIDs)
	checkIDs("include_mic_ids", r.IncludeMicIDs)
	return errs
}

// invalid is the 400 answer for validation problems.
func invalid(errs []proto.FieldError) *httpapi.Error {
	msg := fmt.Sprintf("The rule is invalid: %q %s.", errs[0].Field, errs[0].Reason)
	if len(errs) > 1 {
		msg = fmt.Sprintf("The rule is invalid: %d problems, the first: %q %s.", len(errs), errs[0].Field, errs[0].Reason)
	}
	return &httpapi.Error{Status: http.StatusBadRequest, Code: proto.CodeValidationFailed, Message: msg, Details: errs}
}
