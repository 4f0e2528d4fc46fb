package hostile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/serve"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

// publicRoutes need no token (docs/security.md, "Other exposure";
// /event-service/ws authenticates by its endpoint_id).
var publicRoutes = []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/event-service/ws"}

// apiOp is one operation of the OpenAPI document.
type apiOp struct {
	method, path string
	scopes       []string
	hasScopes    bool // x-scopes present
	public       bool
	queryToken   bool // the accessToken security scheme: ?access_token=
	ws, sse      bool
	hasBody      bool
	ownerParam   bool // a query parameter named owner
}

func (o apiOp) String() string { return o.method + " " + o.path }

// authzRole is one caller.
type authzRole struct {
	name   string
	token  string // Bearer token or access_token; "" = none
	header string // a raw Authorization header instead of a token
	// scopes of a valid key; nil for a token that must be refused.
	scopes []string
}

func (r authzRole) valid() bool { return r.scopes != nil }
func (r authzRole) admin() bool { return slices.Contains(r.scopes, proto.ScopeAdmin) }
func (r authzRole) holds(scopes []string) bool {
	if r.admin() {
		return true
	}
	for _, s := range scopes {
		if slices.Contains(r.scopes, s) {
			return true
		}
	}
	return false
}

// tenantRes holds the ids of one tenant's resources.
type tenantRes struct {
	owner, marker string
	// ids of its resources; endpoint is the one in /endpoints/{id} routes.
	device, composite, key, endpoint, wsEndpoint, filter, rule, delivery string
	// ids of its seed events.
	sound, analysis, sharedAnalysis, identification string
}

type authz struct {
	*env
	a, b     tenantRes
	shared   string // a device with analysis events of both tenants
	roles    []authzRole
	tenantA  []authzRole // A's non-admin keys
	expires  time.Time   // when the expired key expires
	checks   int
	bypasses []string
	wrong    []string
}

type expectation int

const (
	want401 expectation = iota
	want403
	wantAllowed
)

func (w expectation) String() string {
	return [...]string{"401", "403", "allowed"}[w]
}

// TestAuthorizationMatrix checks authentication, scopes and tenancy on
// every route of a real gateway. The routes come from the gateway itself
// (GET /api/v1/openapi.json, each operation's x-scopes), so a new route is
// covered as soon as it is served and documented; a served route missing
// from the document, or a documented one with no x-scopes that is not one
// of the known public routes, fails the test.
//
// For every route it tries every role (no token, malformed tokens, a
// well-formed token of no key, a key's id with a wrong secret, a revoked
// and an expired admin key, a key of each single scope of tenant A, an
// admin key and the static admin token), with the token in the
// Authorization header and in ?access_token= (honoured by stream routes
// only), and asserts:
//
//   - an invalid token: 401 with the contract's JSON body and
//     WWW-Authenticate;
//   - a valid key without the route's scopes: 403 with the JSON body;
//   - a key holding one of them: anything but 401/403 (path parameters are
//     real ids of tenant A's resources, so the handler really runs).
//
// Tenancy: tenant B owns an event of each family, a composite, endpoints,
// a filter, a rule and a key; tenant A's non-admin keys must get 403 for
// ?owner=B, 403/404 for B's ids in paths, never see B's events in lists,
// and never receive them on open streams.
//
// An answer that grants what should be refused is a bypass; any other
// deviation is a wrong answer. Both fail the test.
//
//	go test -race -count=1 -run TestAuthorizationMatrix -v ./internal/hostile/ | grep 'authorization checks'
func TestAuthorizationMatrix(t *testing.T) {
	start := time.Now()
	z := newAuthz(t)
	ops := z.operations()
	z.crossCheckServed(ops)
	z.tenancy(ops)
	z.live()
	z.waitExpired()
	z.matrix(ops)

	t.Logf("authorization checks: %d, bypasses: %d", z.checks, len(z.bypasses))
	t.Logf("wrong answers (no access granted, but not the contract's): %d; %d operations from /api/v1/openapi.json, %d roles, %v",
		len(z.wrong), len(ops), len(z.roles), time.Since(start).Round(100*time.Millisecond))
	if len(z.bypasses) > 0 {
		t.Errorf("%d authorization bypasses:\n%s", len(z.bypasses), strings.Join(z.bypasses, "\n"))
	}
	if len(z.wrong) > 0 {
		t.Errorf("%d wrong answers (no access granted, but not the contract's answer):\n%s", len(z.wrong), strings.Join(z.wrong, "\n"))
	}
}

// --- setup ---

func newAuthz(t *testing.T) *authz {
	e := &env{t: t}
	e.h = servertest.Run(t, serve.Components, func(c *config.Config) {
		gatewayConfig(c)
		// A's webhook targets 127.0.0.1:9, where nothing listens: its
		// deliveries fail at once and give the matrix a real delivery id.
		c.Webhooks.AllowCIDRs = []string{"127.0.0.0/8"}
		c.Webhooks.RetrySchedule = nil
	})
	e.addr = strings.TrimPrefix(e.h.URL, "http://")
	e.keys = map[string]string{roleAdmin: servertest.AdminToken}
	z := &authz{env: e}
	z.a = tenantRes{owner: ownerA, marker: "authzA" + runID}
	z.b = tenantRes{owner: ownerB, marker: "authzB" + runID}
	z.shared = "dev-shared-" + runID

	// The expired key first: it expires while the rest is set up.
	z.expires = time.Now().Add(2 * time.Second)
	_, expired := z.createKey(ownerA, "expired", &z.expires, proto.ScopeAdmin)
	z.mustStatus("the expiring key before its expiry", z.req("GET", "/api/v1/keys", expired, ""), 200)

	single := func(scope string) authzRole {
		_, tok := z.createKey(ownerA, scope, nil, scope)
		return authzRole{name: "A " + scope, token: tok, scopes: []string{scope}}
	}
	write, read, device, analytics := single(proto.ScopeEventsWrite), single(proto.ScopeEventsRead),
		single(proto.ScopeDeviceRead), single(proto.ScopeAnalyticsRead)
	z.tenantA = []authzRole{write, read, device, analytics}
	_, adminKey := z.createKey(ownerA, "admin", nil, proto.ScopeAdmin)

	// A revoked admin key: works, is revoked, then must be refused.
	revokedID, revoked := z.createKey(ownerA, "revoked", nil, proto.ScopeAdmin)
	z.mustStatus("the key to revoke before its revocation", z.req("GET", "/api/v1/keys", revoked, ""), 200)
	z.mustStatus("revoke", z.req("DELETE", "/api/v1/keys/"+revokedID, servertest.AdminToken, ""), 204)
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if z.req("GET", "/api/v1/keys", revoked, "").Status == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the revoked key is still accepted 3 s after its revocation")
		}
	}
	// A well-formed token with the admin key's id and another secret.
	wrongSecret := adminKey[:len("evt_")+12+1] + strings.Repeat("A", len(adminKey)-len("evt_")-12-1)

	z.roles = []authzRole{
		{name: "no token"},
		{name: "malformed token", token: "not-an-api-key"},
		{name: "malformed evt token", token: "evt_short"},
		{name: "unknown key", token: "evt_zzzzzzzzzzzz_" + strings.Repeat("Q", 43)},
		{name: "admin key id, wrong secret", token: wrongSecret},
		{name: "static admin token, Basic scheme", header: "Authorization: Basic " + servertest.AdminToken},
		{name: "revoked admin key", token: revoked},
		{name: "expired admin key", token: expired},
		write, read, device, analytics,
		{name: "A admin key", token: adminKey, scopes: []string{proto.ScopeAdmin}},
		{name: "static admin token", token: servertest.AdminToken, scopes: []string{proto.ScopeAdmin}},
	}

	// Resources of both tenants, created by the static admin.
	for _, r := range []*tenantRes{&z.a, &z.b} {
		r.key, _ = z.createKey(r.owner, "victim "+r.marker, nil, proto.ScopeEventsRead)
		r.wsEndpoint = z.createID("/api/v1/endpoints", fmt.Sprintf(`{"name":"ws %s","type":"websocket","owner":%q}`, r.marker, r.owner))
		if r == &z.a {
			r.endpoint = z.createID("/api/v1/endpoints", fmt.Sprintf(`{"name":"hook %s","type":"webhook","url":"http://127.0.0.1:9/hook","owner":%q}`, r.marker, r.owner))
		} else {
			r.endpoint = r.wsEndpoint
			r.delivery = "1"
		}
		r.filter = z.createID("/api/v1/event-filters", fmt.Sprintf(`{"name":"f %s","endpoint_id":%q,"device_ids":[],"agent_ids":[],"watchlist_ids":[],"event_types":[]}`, r.marker, r.endpoint))
		r.rule = z.createID("/api/v1/rules", fmt.Sprintf(`{"name":"r %s","owner":%q,"window_seconds":30,"min_events":3,"enabled":false,"group_by":"label_id"}`, r.marker, r.owner))
		// One event of each family, every id carrying the tenant's marker.
		m := r.marker
		r.device = "dev-" + m
		r.composite = m + "_cmp"
		r.sound = uid(m + "_snd")
		r.analysis = uid(m + "_ana")
		r.identification = uid(m + "_idf")
		r.sharedAnalysis = uid(m + "_shared")
		z.ingest(r, "sound", soundJSON(fields{"id": js(r.sound), "mic_id": js("mic-" + m), "microphone.id": js("mic-" + m), "microphone.edge_id": js("edge-" + m)}))
		z.ingest(r, "analysis", analysisJSON(fields{"deviceId": js(r.device), "analysisId": js(r.analysis)}))
		z.ingest(r, "analysis", analysisJSON(fields{"deviceId": js(z.shared), "analysisId": js(r.sharedAnalysis)}))
		z.ingest(r, "identification", identificationJSON(fields{"event.id": js(r.identification), "camera.id": js("cam-" + m), "camera.agent_id": js("agent-" + m)}))
		z.ingest(r, "composite", compositeJSON(fields{"id": js(r.composite)}))
	}
	// A real delivery of A's webhook (it fails at once: nothing listens).
	for deadline := time.Now().Add(10 * time.Second); z.a.delivery == ""; time.Sleep(50 * time.Millisecond) {
		var page struct{ Items []struct{ ID string } }
		r := z.req("GET", "/api/v1/endpoints/"+z.a.endpoint+"/deliveries?limit=1", servertest.AdminToken, "")
		if r.Status == 200 && json.Unmarshal(r.Body, &page) == nil && len(page.Items) > 0 {
			z.a.delivery = page.Items[0].ID
		} else if time.Now().After(deadline) {
			t.Fatalf("no delivery of A's webhook after 10 s: %s", answer(r))
		}
	}
	return z
}

// req sends one request with a Bearer token (none if "").
func (z *authz) req(method, target, token, body string) *Resp {
	r := Req{Method: method, Target: target, CLen: -1}
	if body != "" {
		r.Body, r.CType, r.CLen = []byte(body), "application/json", 0
	} else if method == "POST" || method == "PATCH" {
		r.CLen = 0
	}
	return sendRaw(z.addr, token, r)
}

func (z *authz) mustStatus(what string, r *Resp, status int) {
	z.t.Helper()
	if r.Status != status {
		z.t.Fatalf("%s: %s, want %d", what, answer(r), status)
	}
}

func (z *authz) createKey(owner, name string, expires *time.Time, scopes ...string) (id, token string) {
	z.t.Helper()
	body := map[string]any{"name": "authz " + name, "owner": owner, "scopes": scopes}
	if expires != nil {
		body["expires_at"] = expires.UTC().Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(body)
	r := z.req("POST", "/api/v1/keys", servertest.AdminToken, string(b))
	var k struct{ ID, Token string }
	if r.Status != 201 || json.Unmarshal(r.Body, &k) != nil || k.Token == "" {
		z.t.Fatalf("create key %s: %s", name, answer(r))
	}
	return k.ID, k.Token
}

func (z *authz) createID(path, body string) string {
	z.t.Helper()
	r := z.req("POST", path, servertest.AdminToken, body)
	var v struct{ ID string }
	if r.Status != 201 || json.Unmarshal(r.Body, &v) != nil || v.ID == "" {
		z.t.Fatalf("POST %s %s: %s", path, body, answer(r))
	}
	return v.ID
}

// ingest stores an event for r's tenant (the static admin with ?owner=).
func (z *authz) ingest(r *tenantRes, family string, body []byte) {
	z.t.Helper()
	z.mustStatus("ingest "+family+" for "+r.owner, z.req("POST", "/api/v1/events/"+family+"?owner="+r.owner, servertest.AdminToken, string(body)), 202)
}

func (z *authz) waitExpired() {
	if d := time.Until(z.expires) + 100*time.Millisecond; d > 0 {
		time.Sleep(d)
	}
}

// --- the routes, from the gateway ---

type oaParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

type oaOp struct {
	XScopes     *[]string                 `json:"x-scopes"`
	Security    []map[string][]string     `json:"security"`
	Parameters  []oaParam                 `json:"parameters"`
	RequestBody json.RawMessage           `json:"requestBody"`
	Responses   map[string]map[string]any `json:"responses"`
}

func (z *authz) operations() []apiOp {
	t := z.t
	r := sendRaw(z.addr, "", Req{Method: "GET", Target: "/api/v1/openapi.json", CLen: -1})
	z.mustStatus("GET /api/v1/openapi.json without a token", r, 200)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]oaParam `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("the OpenAPI document: %v", err)
	}
	resolve := func(p oaParam) oaParam {
		if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
			return doc.Components.Parameters[name]
		}
		return p
	}
	var ops []apiOp
	for path, item := range doc.Paths {
		var shared []oaParam
		if raw, ok := item["parameters"]; ok {
			_ = json.Unmarshal(raw, &shared)
		}
		for method, raw := range item {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
			default:
				continue
			}
			var o oaOp
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatalf("%s %s in the OpenAPI document: %v", method, path, err)
			}
			op := apiOp{method: strings.ToUpper(method), path: path, hasBody: len(o.RequestBody) > 0}
			if o.XScopes != nil {
				op.scopes, op.hasScopes = *o.XScopes, len(*o.XScopes) > 0
			}
			for _, sec := range o.Security {
				if _, ok := sec["accessToken"]; ok {
					op.queryToken = true
				}
			}
			for _, p := range append(slices.Clone(shared), o.Parameters...) {
				if p = resolve(p); p.In == "query" && p.Name == "owner" {
					op.ownerParam = true
				}
			}
			if _, ok := o.Responses["101"]; ok {
				op.ws = true
			}
			if c, ok := o.Responses["200"]["content"].(map[string]any); ok {
				_, op.sse = c["text/event-stream"]
			}
			if !op.hasScopes {
				if slices.Contains(publicRoutes, path) {
					op.public = true
				} else {
					z.wrong = append(z.wrong, fmt.Sprintf("%s: no x-scopes and not a known public route (the matrix still checks that invalid tokens get 401)", op))
				}
			}
			ops = append(ops, op)
		}
	}
	// DELETEs last (they remove A's resources the other rows use); of
	// those, the filter before its endpoint.
	sort.Slice(ops, func(i, j int) bool {
		di, dj := ops[i].method == "DELETE", ops[j].method == "DELETE"
		if di != dj {
			return dj
		}
		if di {
			return ops[i].path > ops[j].path
		}
		return ops[i].String() < ops[j].String()
	})
	if len(ops) < 10 {
		t.Fatalf("the OpenAPI document lists only %d operations", len(ops))
	}
	return ops
}

// crossCheckServed compares the document with the route table the server
// really serves: a served route the document lacks would escape the matrix.
func (z *authz) crossCheckServed(ops []apiOp) {
	byKey := map[string]apiOp{}
	for _, o := range ops {
		byKey[o.String()] = o
	}
	for _, rt := range z.h.Server.Routes() {
		key := rt.Method + " " + rt.Pattern
		o, ok := byKey[key]
		z.checks++
		switch {
		case !ok:
			z.wrong = append(z.wrong, fmt.Sprintf("%s is served but not in /api/v1/openapi.json: the matrix does not cover it", key))
		case !rt.Public && len(rt.Scopes) == 0:
			z.wrong = append(z.wrong, fmt.Sprintf("%s is served to any authenticated key (no scopes) and is not public", key))
		case rt.Public != o.public:
			z.wrong = append(z.wrong, fmt.Sprintf("%s: served public=%v, the document says public=%v", key, rt.Public, o.public))
		case !rt.Public && !sameSet(rt.Scopes, o.scopes):
			z.wrong = append(z.wrong, fmt.Sprintf("%s: served scopes %v, x-scopes %v", key, rt.Scopes, o.scopes))
		case rt.QueryToken != o.queryToken:
			z.wrong = append(z.wrong, fmt.Sprintf("%s: served access_token=%v, the document says %v", key, rt.QueryToken, o.queryToken))
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// --- requests ---

// paramValue is the id to put in a path parameter for tenant r.
func (r tenantRes) paramValue(prefix, name string) string {
	switch {
	case name == "family":
		return "sound"
	case name == "delivery_id":
		return r.delivery
	case strings.HasSuffix(prefix, "/composite-events/"):
		return r.composite
	case strings.HasSuffix(prefix, "/devices/"):
		return r.device
	case strings.HasSuffix(prefix, "/keys/"):
		return r.key
	case strings.HasSuffix(prefix, "/endpoints/"):
		return r.endpoint
	case strings.HasSuffix(prefix, "/event-filters/"):
		return r.filter
	case strings.HasSuffix(prefix, "/rules/"):
		return r.rule
	}
	return ""
}

// fill puts r's ids in the path parameters of path; unknown parameters
// get a placeholder (401/403 are decided before the handler anyway).
func (z *authz) fill(path string, r tenantRes) (string, []string) {
	var names []string
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			return path, names
		}
		j := i + strings.IndexByte(path[i:], '}')
		name := path[i+1 : j]
		names = append(names, name)
		v := r.paramValue(path[:i], name)
		if v == "" {
			z.t.Logf("%s: no real id for {%s}; using a placeholder", path, name)
			v = "authz-placeholder"
		}
		path = path[:i] + url.PathEscape(v) + path[j+1:]
	}
}

// request builds op's request for tenant r's resources, with query added.
func (z *authz) request(op apiOp, r tenantRes, query string) Req {
	target, _ := z.fill(op.path, r)
	q := url.Values{}
	if op.path == "/event-service/ws" {
		q.Set("endpoint_id", r.wsEndpoint)
	}
	if s := q.Encode(); s != "" {
		query = strings.TrimPrefix(query+"&"+s, "&")
	}
	if query != "" {
		target += "?" + query
	}
	req := Req{Method: op.method, Target: target, CLen: -1}
	switch {
	case op.ws:
		req.Stream = wsEndpoint // handshake only
	case op.sse:
		req.Stream = sse
	}
	if op.method == "POST" || op.method == "PATCH" || op.hasBody {
		req.CLen = 0
	}
	if op.hasBody {
		req.CType = "application/json"
		req.Body = []byte("{}")
		if strings.HasPrefix(op.path, "/api/v1/events/") {
			req.Body = soundJSON(fields{"id": js(uid(r.marker + "_matrix")), "mic_id": js("mic-" + r.marker)})
		}
	}
	return req
}

// send performs req as role, the token in the header or (viaQuery) in
// ?access_token=.
func (z *authz) send(req Req, role authzRole, viaQuery bool) *Resp {
	token := role.token
	if role.header != "" {
		req.Header = append(req.Header, role.header)
	}
	if viaQuery {
		sep := "?"
		if strings.Contains(req.Target, "?") {
			sep = "&"
		}
		req.Target += sep + "access_token=" + url.QueryEscape(token)
		token = ""
	}
	return sendRaw(z.addr, token, req)
}

// --- judging ---

func (z *authz) judge(what string, want expectation, r *Resp) {
	z.checks++
	line := func(why string) string { return fmt.Sprintf("%s: want %s, got %s (%s)", what, want, answer(r), why) }
	if r.Status == 0 {
		z.wrong = append(z.wrong, line(fmt.Sprintf("no answer: %v", r.Err)))
		return
	}
	denied := r.Status == 401 || r.Status == 403
	switch want {
	case want401, want403:
		if !denied {
			z.bypasses = append(z.bypasses, line("access granted"))
			return
		}
		code, status := proto.CodeUnauthorized, 401
		if want == want403 {
			code, status = proto.CodeForbidden, 403
		}
		var probs []string
		if r.Status != status {
			probs = append(probs, fmt.Sprintf("status %d", r.Status))
		}
		eb, ps := errorBody(r)
		probs = append(probs, ps...)
		if len(ps) == 0 && r.Status == status && eb.Error.Code != code {
			probs = append(probs, fmt.Sprintf("code %q, want %q", eb.Error.Code, code))
		}
		if want == want401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			probs = append(probs, fmt.Sprintf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate")))
		}
		if len(probs) > 0 {
			z.wrong = append(z.wrong, line(strings.Join(probs, "; ")))
		}
	case wantAllowed:
		switch {
		case denied:
			z.wrong = append(z.wrong, line("refused a key that holds the scope"))
		case r.Status >= 500:
			z.wrong = append(z.wrong, line("5xx"))
		}
	}
}

// judgeTenancy: another tenant's resource must be refused with one of ok.
func (z *authz) judgeTenancy(what string, r *Resp, ok ...int) {
	z.checks++
	switch {
	case r.Status == 0:
		z.wrong = append(z.wrong, fmt.Sprintf("%s: no answer: %v", what, r.Err))
	case r.Status < 300:
		z.bypasses = append(z.bypasses, fmt.Sprintf("%s: want %v, got %s (another tenant's data served)", what, ok, answer(r)))
	case !slices.Contains(ok, r.Status):
		z.wrong = append(z.wrong, fmt.Sprintf("%s: want %v, got %s", what, ok, answer(r)))
	case r.Status >= 400:
		if _, ps := errorBody(r); len(ps) > 0 {
			z.wrong = append(z.wrong, fmt.Sprintf("%s: %s: %s", what, answer(r), strings.Join(ps, "; ")))
		}
	}
}

// --- the matrix ---

func (z *authz) matrix(ops []apiOp) {
	for _, op := range ops {
		if op.public {
			// No token needed: reachable without one.
			r := z.send(z.request(op, z.a, ""), authzRole{name: "no token"}, false)
			z.checks++
			if r.Status == 0 || r.Status == 401 || r.Status == 403 || r.Status >= 500 {
				z.wrong = append(z.wrong, fmt.Sprintf("%s [public, no token]: %s", op, answer(r)))
			}
			continue
		}
		for _, role := range z.roles {
			for _, viaQuery := range []bool{false, true} {
				if viaQuery && role.token == "" {
					continue
				}
				want := want401
				switch {
				case !role.valid():
				case viaQuery && !op.queryToken:
					// ?access_token= is ignored off the stream routes.
				case !op.hasScopes:
					continue // reported by operations(): only the 401s are known
				case role.holds(op.scopes):
					want = wantAllowed
				default:
					want = want403
				}
				how := "Bearer"
				if viaQuery {
					how = "?access_token="
				} else if role.header != "" {
					how = "raw header"
				}
				req := z.request(op, z.a, "")
				r := z.send(req, role, viaQuery)
				z.judge(fmt.Sprintf("%s %s [%s, %s; x-scopes %v]", op.method, req.Target, role.name, how, op.scopes), want, r)
			}
		}
	}
}

// --- tenancy ---

func (z *authz) tenancy(ops []apiOp) {
	bMarks := []string{z.b.marker, `"owner":"` + z.b.owner + `"`}
	for _, op := range ops {
		if op.public {
			continue
		}
		transports := []bool{false}
		if op.queryToken {
			transports = append(transports, true)
		}
		// ?owner=B: only admin keys may name another tenant.
		if op.ownerParam {
			for _, role := range z.tenantA {
				req := z.request(op, z.a, "owner="+z.b.owner)
				z.judgeTenancy(fmt.Sprintf("%s %s [%s]", op.method, req.Target, role.name), z.send(req, role, false), 403)
			}
		}
		// B's ids in the path.
		if _, names := z.fill(op.path, z.b); len(names) > 0 && !slices.Equal(names, []string{"family"}) {
			for _, role := range z.tenantA {
				for _, viaQuery := range transports {
					req := z.request(op, z.b, "")
					ok := []int{403}
					if role.holds(op.scopes) {
						ok = []int{404}
						if op.ws || op.sse {
							ok = []int{403, 404}
						}
					}
					z.judgeTenancy(fmt.Sprintf("%s %s [%s, B's id, query token %v]", op.method, req.Target, role.name, viaQuery), z.send(req, role, viaQuery), ok...)
				}
			}
		}
		// Lists A's keys may read must not show B's events.
		if op.method == "GET" && !strings.Contains(op.path, "{") && !op.ws && !op.sse {
			for _, role := range z.tenantA {
				if !role.holds(op.scopes) {
					continue
				}
				for _, q := range []string{"limit=1000", "device_id=" + z.b.device, "device_id=" + z.shared,
					"agent_id=agent-" + z.b.marker, "event_type=composite"} {
					z.listCheck(op, role, q, bMarks)
				}
			}
		}
	}
	// Resuming the composite WebSocket after B's composite.
	read := z.tenantA[1]
	for _, viaQuery := range []bool{false, true} {
		req := Req{Method: "GET", Target: "/api/v1/ws/composite-events?after=" + url.QueryEscape(z.b.composite), CLen: -1, Stream: wsEndpoint}
		z.judgeTenancy(fmt.Sprintf("GET %s [%s, query token %v]", req.Target, read.name, viaQuery), z.send(req, read, viaQuery), 404)
	}
	// Control: the admin sees B with ?owner=B (so the marks above are real).
	r := z.req("GET", "/api/v1/events?limit=1000&owner="+z.b.owner, servertest.AdminToken, "")
	z.checks++
	if r.Status != 200 || !bytes.Contains(r.Body, []byte(z.b.marker)) {
		z.wrong = append(z.wrong, fmt.Sprintf("control: the admin's query of B's events does not show them: %s", answer(r)))
	}
}

// listCheck pages through a list with role's key and looks for B's marks.
func (z *authz) listCheck(op apiOp, role authzRole, query string, bMarks []string) {
	after := ""
	for page := 0; page < 50; page++ {
		q := query
		if after != "" {
			q += "&after=" + url.QueryEscape(after)
		}
		req := z.request(op, z.a, q)
		r := z.send(req, role, false)
		what := fmt.Sprintf("%s %s [%s]", op.method, req.Target, role.name)
		z.checks++
		if r.Status != 200 {
			// 400 for a parameter this list does not take is fine.
			if r.Status == 0 || r.Status == 401 || r.Status == 403 || r.Status >= 500 {
				z.wrong = append(z.wrong, fmt.Sprintf("%s: %s", what, answer(r)))
			}
			return
		}
		for _, m := range bMarks {
			if bytes.Contains(r.Body, []byte(m)) {
				z.bypasses = append(z.bypasses, fmt.Sprintf("%s: the answer holds tenant B's %q: %s", what, m, excerpt(r.Body)))
				return
			}
		}
		var p struct {
			NextCursor string `json:"next_cursor"`
		}
		if json.Unmarshal(r.Body, &p) != nil || p.NextCursor == "" {
			return
		}
		after = p.NextCursor
	}
}

// --- live streams ---

type liveStream struct {
	name    string
	control string // an id of A that must arrive
	conn    net.Conn
	br      *bufio.Reader
	ws      bool
	mu      sync.Mutex
	got     bytes.Buffer
	done    chan struct{}
}

// openLive opens a stream and reads its opening (hello / retry).
func (z *authz) openLive(name, target string, role authzRole, viaQuery, ws bool, control string) *liveStream {
	t := z.t
	t.Helper()
	token := role.token
	if viaQuery {
		target += "?access_token=" + url.QueryEscape(token)
		token = ""
	}
	conn, err := net.DialTimeout("tcp", z.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", target, z.addr)
	if token != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", token)
	}
	if ws {
		b.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
	} else {
		b.WriteString("Accept: text/event-stream\r\n")
	}
	b.WriteString("\r\n")
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	wantStatus := 200
	if ws {
		wantStatus = 101
	}
	if resp.StatusCode != wantStatus {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		t.Fatalf("%s: %d %s", name, resp.StatusCode, body)
	}
	s := &liveStream{name: name, control: control, conn: conn, br: br, ws: ws, done: make(chan struct{})}
	if ws && !strings.HasPrefix(target, "/event-service/") {
		if op, p, err := wsFrame(br); err != nil || op != 1 || string(p) != "hello" {
			t.Fatalf("%s: first frame %d %q %v, want hello", name, op, p, err)
		}
	} else if !ws {
		if l, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "retry:") {
			t.Fatalf("%s: first line %q %v, want retry:", name, l, err)
		}
	}
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	go s.read()
	return s
}

func (s *liveStream) read() {
	defer close(s.done)
	for {
		var chunk []byte
		if s.ws {
			op, p, err := wsFrame(s.br)
			if err != nil || op == 8 {
				return
			}
			if op != 1 {
				continue
			}
			chunk = append(p, '\n')
		} else {
			l, err := s.br.ReadString('\n')
			if err != nil {
				return
			}
			chunk = []byte(l)
		}
		s.mu.Lock()
		s.got.Write(chunk)
		s.mu.Unlock()
	}
}

// wsFrame reads one server frame (unmasked): its opcode and payload.
func wsFrame(br *bufio.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(l[0])<<8 | uint64(l[1])
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return 0, nil, err
		}
		n = 0
		for _, c := range l {
			n = n<<8 | uint64(c)
		}
	}
	if n > 16<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		return 0, nil, err
	}
	return h[0] & 0x0f, p, nil
}

// live opens A's streams, ingests B's events (then A's, as a control),
// listens ~1 s and checks that nothing of B arrived.
func (z *authz) live() {
	read, device, analytics := z.tenantA[1], z.tenantA[2], z.tenantA[3]
	ctlShared := uid(z.a.marker + "_live_shared")
	ctlAll := uid(z.a.marker + "_live_dev")
	ctlComposite := z.a.marker + "_live_cmp"
	ctlSound := uid(z.a.marker + "_live_snd")
	streams := []*liveStream{
		z.openLive("SSE all devices [A device:read, Bearer]", "/api/v1/devices/analysis/stream/all", device, false, false, ctlAll),
		z.openLive("SSE all devices [A analytics:read, ?access_token=]", "/api/v1/devices/analysis/stream/all", analytics, true, false, ctlAll),
		z.openLive("SSE of a device both tenants use [A analytics:read, Bearer]", "/api/v1/devices/"+z.shared+"/analysis/stream", analytics, false, false, ctlShared),
		z.openLive("SSE of A's device [A device:read, ?access_token=]", "/api/v1/devices/"+z.a.device+"/analysis/stream", device, true, false, ctlAll),
		z.openLive("composite WebSocket [A events:read, Bearer]", "/api/v1/ws/composite-events", read, false, true, ctlComposite),
		z.openLive("composite WebSocket [A events:read, ?access_token=]", "/api/v1/ws/composite-events", read, true, true, ctlComposite),
		z.openLive("endpoint WebSocket of A's endpoint [no token]", "/event-service/ws?endpoint_id="+z.a.wsEndpoint, authzRole{}, false, true, ctlSound),
	}
	// B's events of every family, on B's devices and on the shared one.
	b := &z.b
	m := b.marker
	z.ingest(b, "analysis", analysisJSON(fields{"deviceId": js(b.device), "analysisId": js(uid(m + "_live"))}))
	z.ingest(b, "analysis", analysisJSON(fields{"deviceId": js(z.shared), "analysisId": js(uid(m + "_live_shared"))}))
	z.ingest(b, "analysis", analysisJSON(fields{"deviceId": js(z.a.device), "analysisId": js(uid(m + "_live_on_a_device"))}))
	z.ingest(b, "composite", compositeJSON(fields{"id": js(m + "_live_cmp")}))
	z.ingest(b, "sound", soundJSON(fields{"id": js(uid(m + "_live_snd")), "mic_id": js("mic-" + m)}))
	z.ingest(b, "identification", identificationJSON(fields{"event.id": js(uid(m + "_live_idf")), "camera.id": js("cam-" + m)}))
	// A's controls, after B's: when they arrive, B's would have too.
	a := &z.a
	z.ingest(a, "analysis", analysisJSON(fields{"deviceId": js(z.shared), "analysisId": js(ctlShared)}))
	z.ingest(a, "analysis", analysisJSON(fields{"deviceId": js(a.device), "analysisId": js(ctlAll)}))
	z.ingest(a, "composite", compositeJSON(fields{"id": js(ctlComposite)}))
	z.ingest(a, "sound", soundJSON(fields{"id": js(ctlSound), "mic_id": js("mic-" + a.marker)}))
	time.Sleep(time.Second)
	for _, s := range streams {
		s.conn.SetReadDeadline(time.Now())
	}
	for _, s := range streams {
		<-s.done
		s.mu.Lock()
		got := s.got.String()
		s.mu.Unlock()
		z.checks++
		if strings.Contains(got, m) || strings.Contains(got, `"owner":"`+b.owner+`"`) {
			z.bypasses = append(z.bypasses, fmt.Sprintf("%s: tenant B's event arrived: %s", s.name, short(got)))
		}
		z.checks++
		if !strings.Contains(got, s.control) {
			z.wrong = append(z.wrong, fmt.Sprintf("%s: A's control event %s did not arrive within 1 s (the no-B check is then vacuous): %s", s.name, s.control, short(got)))
		}
	}
}
