package endpoint

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Bounds of user-supplied fields: generous, but they keep one request from
// filling the KV bucket or the per-event filter check.
const (
	maxName        = 200
	maxURL         = 2048
	maxFilterItems = 1000
	maxBody        = 1 << 20
)

// problems collects every validation failure of one request, so a client
// fixes them all at once.
type problems []proto.FieldError

func (p *problems) add(field, format string, a ...any) {
	*p = append(*p, proto.FieldError{Field: field, Reason: fmt.Sprintf(format, a...)})
}

// err returns nil or one 400 listing every problem.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	msgs := make([]string, len(p))
	for i, f := range p {
		msgs[i] = fmt.Sprintf("%q %s", f.Field, f.Reason)
	}
	return &httpapi.Error{Status: http.StatusBadRequest, Code: proto.CodeValidationFailed,
		Message: "Invalid request: " + strings.Join(msgs, "; ") + ".", Details: p}
}

func (p *problems) name(v string) {
	switch {
	case strings.TrimSpace(v) == "":
		p.add("name", "is required")
	default:
		if reason := proto.CheckText(v, maxName); reason != "" {
			p.add("name", "%s", reason)
		}
	}
}

// webhookURL accepts absolute http(s) URLs with a host. Whether the host
// may be reached is decided at connect time, after DNS resolution, by the
// dispatcher's dialer (webhooks.allow_cidrs): checking the name here would
// be both too early and too weak.
func (p *problems) webhookURL(v string) {
	if v == "" {
		p.add("url", "is required for webhook endpoints")
		return
	}
	if len(v) > maxURL {
		p.add("url", "must be at most %d bytes", maxURL)
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		p.add("url", "must be an absolute http:// or https:// URL")
		return
	}
	if u.Fragment != "" {
		p.add("url", "must not have a #fragment")
	}
}

func (p *problems) secret(v string) {
	if _, err := SecretKey(v); err != nil {
		p.add("secret", "%s", err.Error())
	}
}

func (p *problems) list(field string, vs []string) {
	if len(vs) > maxFilterItems {
		p.add(field, "must have at most %d items", maxFilterItems)
		return
	}
	for i, v := range vs {
		// Filter values are matched against events' routing values, so
		// they obey the same bounds (a watchlist also has no comma).
		reason := proto.CheckIdent(v)
		if reason == "" && field == "watchlist_ids" && strings.Contains(v, ",") {
			reason = "must not contain ','"
		}
		if reason != "" {
			p.add(fmt.Sprintf("%s[%d]", field, i), "%s", reason)
		}
	}
}
