package endpoint

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
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

// Bounds of the per-endpoint delivery settings.
const (
	maxRateLimit   = 100000
	minRateLimit   = 0.01 // one a 100 s: slower is a disabled endpoint
	maxConcurrency = 256
	maxHeaders     = 20
	maxHeaderValue = 1024
)

func (p *problems) rateLimit(v float64) {
	if v != 0 && (v < minRateLimit || v > maxRateLimit) || v != v {
		p.add("rate_limit", "must be 0 (the node's webhooks.rate_limit) or between %g and %d deliveries per second", minRateLimit, maxRateLimit)
	}
}

func (p *problems) concurrency(v int) {
	if v < 0 || v > maxConcurrency {
		p.add("concurrency", "must be 0 (the node's webhooks.concurrency) or between 1 and %d", maxConcurrency)
	}
}

// reservedHeaders may not be set per endpoint: the gateway sets them (the
// signature, the event's family and type, the body's framing, the trace
// context it continues) or they belong to the connection.
var reservedHeaders = []string{
	"connection", "content-encoding", "content-length", "content-type", "cookie", "expect", "host", "keep-alive",
	"proxy-authorization", "proxy-connection", "te", "trailer", "traceparent", "tracestate", "transfer-encoding",
	"upgrade", "user-agent",
}

// reservedPrefixes: every header of these families is the gateway's.
var reservedPrefixes = []string{"webhook-", "evt-", "evtctl-", "proxy-", "sec-"}

// ReservedHeader reports whether an endpoint may not set header name.
func ReservedHeader(name string) bool {
	n := strings.ToLower(name)
	if slices.Contains(reservedHeaders, n) {
		return true
	}
	for _, pre := range reservedPrefixes {
		if strings.HasPrefix(n, pre) {
			return true
		}
	}
	return false
}

func (p *problems) headers(h map[string]string) {
	if len(h) > maxHeaders {
		p.add("headers", "must have at most %d headers", maxHeaders)
		return
	}
	for _, name := range slices.Sorted(maps.Keys(h)) {
		field := "headers[" + httpapi.Clip(name) + "]"
		switch {
		case !validHeaderName(name):
			p.add(field, "is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~, at most 64)")
		case ReservedHeader(name):
			p.add(field, "is reserved: the gateway sets it")
		default:
			v := h[name]
			if len(v) > maxHeaderValue || !utf8.ValidString(v) || strings.ContainsAny(v, "\r\n\x00") {
				p.add(field, "must be at most %d bytes of UTF-8 on one line", maxHeaderValue)
			}
		}
	}
}

// validHeaderName: an RFC 9110 token of at most 64 bytes.
func validHeaderName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
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
