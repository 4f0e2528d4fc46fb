package endpoint

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/evtctl/evtctl/internal/filter"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/webhook/ssrf"
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

// webhookURL accepts absolute http(s) URLs with a host and without
// credentials, and refuses the hosts that are wrong whatever DNS says: IP
// literals in a refused range (in every spelling: zoned, IPv4-mapped or
// -compatible, NAT64, 6to4, Teredo, numeric forms such as 2130706433 or
// 0x7f.1) and the localhost names, unless webhooks.allow_cidrs (g) allows
// them. Other names are checked when connecting, on the resolved address,
// by the dispatcher's dialer (package ssrf): checking them here would be
// both too early and too weak.
func (p *problems) webhookURL(v string, g *ssrf.Guard) {
	if v == "" {
		p.add("url", "is required for webhook endpoints")
		return
	}
	if len(v) > maxURL {
		p.add("url", "must be at most %d bytes", maxURL)
		return
	}
	if reason := g.CheckURL(v); reason != "" {
		p.add("url", "%s", reason)
	}
}

func (p *problems) secret(v string) {
	if _, err := SecretKey(v); err != nil {
		p.add("secret", "%s", err.Error())
	}
}

// where checks a payload condition: compiled and type-checked now, so a
// mistake is a 400 naming its position rather than a filter that never
// matches. "" removes the condition.
func (p *problems) where(v string) {
	if v == "" {
		return
	}
	if !utf8.ValidString(v) {
		p.add("where", "must be valid UTF-8")
		return
	}
	if _, err := filter.Compile(v); err != nil {
		p.add("where", "is not a valid condition: %s", err.Error())
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
