package hostile

import (
	"encoding/json"
	"fmt"
	"strings"
)

// send with the admin key.
func admin(method, target, body string) func(*env) Req {
	r := Req{Method: method, Target: target, Role: roleAdmin, CLen: -1}
	if body != "" || method == "POST" || method == "PATCH" {
		r.CType, r.Body, r.CLen = "application/json", []byte(body), 0
	}
	return static(r)
}

// onEndpoint builds a request on the suite's websocket endpoint.
func onEndpoint(method, suffix, body string) func(*env) Req {
	return func(e *env) Req { return admin(method, "/api/v1/endpoints/"+e.wsEndpoint+suffix, body)(e) }
}

// onEndpointQuery builds a request for a list filtered by the suite's endpoint.
func filterBody(f string) func(*env) Req {
	return func(e *env) Req {
		return admin("POST", "/api/v1/event-filters", `{"name":"hostile","endpoint_id":`+js(e.wsEndpoint)+f+`}`)(e)
	}
}

func resourceCases() []Case {
	var cs []Case
	add := func(name string, r func(*env) Req, w Want, post ...func(*env, *Resp) []string) {
		c := Case{Name: name, R: r, Want: w}
		if len(post) > 0 {
			c.Post = post[0]
		}
		cs = append(cs, c)
	}
	key := func(name, owner string) string {
		return `{"name":` + name + `,"owner":` + owner + `,"scopes":["events:write","events:read","device:read"]}`
	}

	// API keys: the owner becomes a subject token of every event the key
	// ingests, reads or streams; a key that is created must work without
	// harm (useKey).
	add("write key creates a key", ingestAs(roleWrite, "/api/v1/keys", "application/json", []byte(key(`"x"`, `"acme"`)), ""), codes(403))
	for _, n := range longLens {
		add(fmt.Sprintf("key owner of %d chars", n), admin("POST", "/api/v1/keys", key(`"k"`, js(long(n)))), bad("owner"), useKey)
		add(fmt.Sprintf("key name of %d chars", n), admin("POST", "/api/v1/keys", key(js(long(n)), `"acme"`)), bad("name"), useKey)
	}
	for name, v := range controls {
		add("key owner control "+name, admin("POST", "/api/v1/keys", key(`"k"`, js(v))), bad("owner"), useKey)
		add("key name control "+name, admin("POST", "/api/v1/keys", key(js(v), `"acme"`)), safe, useKey)
	}
	for name, v := range nonUTF8 {
		add("key owner non-UTF-8 "+name, admin("POST", "/api/v1/keys", key(`"k"`, raw(v))), bad("owner"), useKey)
		add("key name non-UTF-8 "+name, admin("POST", "/api/v1/keys", key(raw(v), `"acme"`)), bad("name"), useKey)
	}
	for name, v := range wildcards {
		add("key owner wildcard "+name, admin("POST", "/api/v1/keys", key(`"k"`, js(v))), safe, useKey)
	}
	for name, v := range growing {
		add("key owner of "+name, admin("POST", "/api/v1/keys", key(`"k"`, js(v))), safe, useKey)
	}
	add("key scope with NUL", admin("POST", "/api/v1/keys", `{"name":"k","scopes":["admin\u0000"]}`), bad("scopes"))
	add("key scope of 100000 chars", admin("POST", "/api/v1/keys", `{"name":"k","scopes":[`+js(long(100000))+`]}`), bad("scopes"))
	add("key 100000 scopes", admin("POST", "/api/v1/keys", `{"name":"k","owner":"acme","scopes":[`+strings.TrimSuffix(strings.Repeat(`"events:read",`, 100000), ",")+`]}`), safe)
	for name, v := range map[string]string{"number 1e999999": "1e999999", "400 digits": "1" + strings.Repeat("0", 399), "4100 chars": js(long(4100))} {
		add("key expires_at "+name, admin("POST", "/api/v1/keys", `{"name":"k","owner":"acme","scopes":["events:read"],"expires_at":`+v+`}`), bad("expires_at"))
	}
	for name, v := range map[string]string{"year 99999": `"99999-01-01T00:00:00Z"`, "month 13": `"2026-13-45T00:00:00Z"`, "past": `"2001-01-01T00:00:00Z"`} {
		add("key expires_at "+name, admin("POST", "/api/v1/keys", `{"name":"k","owner":"acme","scopes":["events:read"],"expires_at":`+v+`}`), codes(400))
	}
	add("key duplicate owner member, last long", admin("POST", "/api/v1/keys", `{"name":"k","owner":"acme","scopes":["events:read"],"owner":`+js(long(5000))+`}`), bad("owner"), useKey)
	add("key body empty", admin("POST", "/api/v1/keys", ""), codes(400))
	add("key body 10 MB", static(Req{Method: "POST", Target: "/api/v1/keys", Role: roleAdmin, CType: "application/json",
		Body: []byte(`{"name":` + js(long(10<<20)) + `}`)}), codes(413))
	add("key body deeply nested", admin("POST", "/api/v1/keys", `{"name":`+strings.Repeat("[", 100000)), codes(400))
	add("key body text/plain", static(Req{Method: "POST", Target: "/api/v1/keys", Role: roleAdmin, CType: "text/plain", Body: []byte(key(`"k"`, `"acme"`))}), codes(415))
	for name, id := range resourceIDs {
		add("key get id "+name, admin("GET", "/api/v1/keys/"+id, ""), codes(400, 404, 414))
		add("key delete id "+name, admin("DELETE", "/api/v1/keys/"+id, ""), codes(400, 404, 414))
	}
	add("key get id %zz", admin("GET", "/api/v1/keys/%zz", ""), Want{Codes: []int{400}, Protocol: true})
	add("key list owner of 4100 chars", admin("GET", "/api/v1/keys?owner="+long(4100), ""), codes(200, 400))
	for name, v := range badEscapes {
		add("key list owner bad escape "+name, admin("GET", "/api/v1/keys?owner="+v, ""), codes(400))
	}

	// Endpoints.
	ep := func(f string) string { return `{"name":"hostile","type":"websocket"` + f + `}` }
	wh := func(u string) string { return `{"name":"hostile","type":"webhook","url":` + u + `}` }
	for _, n := range longLens {
		add(fmt.Sprintf("endpoint name of %d chars", n), admin("POST", "/api/v1/endpoints", `{"name":`+js(long(n))+`,"type":"websocket"}`), bad("name"))
		add(fmt.Sprintf("endpoint owner of %d chars", n), admin("POST", "/api/v1/endpoints", ep(`,"owner":`+js(long(n)))), bad("owner"), useEndpoint)
		add(fmt.Sprintf("webhook url of %d chars", n), admin("POST", "/api/v1/endpoints", wh(js("http://example.com/"+long(n)))), bad("url"))
	}
	for name, v := range controls {
		add("endpoint owner control "+name, admin("POST", "/api/v1/endpoints", ep(`,"owner":`+js(v))), bad("owner"), useEndpoint)
		add("endpoint name control "+name, admin("POST", "/api/v1/endpoints", `{"name":`+js(v)+`,"type":"websocket"}`), safe)
	}
	for name, v := range nonUTF8 {
		add("endpoint owner non-UTF-8 "+name, admin("POST", "/api/v1/endpoints", ep(`,"owner":`+raw(v))), bad("owner"), useEndpoint)
		add("endpoint name non-UTF-8 "+name, admin("POST", "/api/v1/endpoints", `{"name":`+raw(v)+`,"type":"websocket"}`), bad("name"))
		add("webhook url non-UTF-8 "+name, admin("POST", "/api/v1/endpoints", wh(raw("http://example.com/"+v))), bad("url"))
	}
	for name, v := range wildcards {
		add("endpoint owner wildcard "+name, admin("POST", "/api/v1/endpoints", ep(`,"owner":`+js(v))), safe, useEndpoint)
	}
	for name, v := range growing {
		add("endpoint owner of "+name, admin("POST", "/api/v1/endpoints", ep(`,"owner":`+js(v))), safe, useEndpoint)
	}
	for name, u := range map[string]string{
		"credentials": "http://user:pass@example.com/", "CRLF": "http://example.com/\r\nX: y", "javascript": "javascript:alert(1)",
		"file": "file:///etc/passwd", "bad escape host": "http://%zz/", "bad escape path": "http://example.com/%zz", "no host": "http://",
		"NUL": "http://example.com/\x00", "fragment": "http://example.com/#x", "space host": "http://exa mple.com/",
	} {
		add("webhook url "+name, admin("POST", "/api/v1/endpoints", wh(js(u))), bad("url"))
	}
	for name, u := range map[string]string{
		"IPv6 zone lo": "http://[::1%25lo]:1/", "IPv6 zone 1": "http://[::1%251]:1/", "link-local zone": "http://[fe80::1%25lo]:1/",
		"IPv4-compatible": "http://[::127.0.0.1]:1/", "IPv4-mapped": "http://[::ffff:127.0.0.1]:1/", "decimal IP": "http://2130706433:1/",
	} {
		// Refused at creation or at connect time (the SSRF guard's tests
		// cover delivery); here: no harm.
		add("webhook url "+name, admin("POST", "/api/v1/endpoints", wh(js(u))), safe)
	}
	add("endpoint type with NUL", admin("POST", "/api/v1/endpoints", `{"name":"x","type":"websocket\u0000"}`), bad("type"))
	add("endpoint type of 4100 chars", admin("POST", "/api/v1/endpoints", `{"name":"x","type":`+js(long(4100))+`}`), bad("type"))
	add("endpoint enabled \"yes\"", admin("POST", "/api/v1/endpoints", ep(`,"enabled":"yes"`)), bad("enabled"))
	add("webhook secret of 100000 chars", admin("POST", "/api/v1/endpoints", `{"name":"x","type":"webhook","url":"http://example.com/","secret":`+js(long(100000))+`}`), bad("secret"))
	add("webhook secret non-UTF-8", admin("POST", "/api/v1/endpoints", `{"name":"x","type":"webhook","url":"http://example.com/","secret":`+raw("whsec_\xff")+`}`), bad("secret"))
	for name, id := range resourceIDs {
		add("endpoint get id "+name, admin("GET", "/api/v1/endpoints/"+id, ""), codes(400, 404, 414))
		add("endpoint patch id "+name, admin("PATCH", "/api/v1/endpoints/"+id, `{"name":"x"}`), codes(400, 404, 414))
		add("endpoint delete id "+name, admin("DELETE", "/api/v1/endpoints/"+id, ""), codes(400, 404, 414))
		add("endpoint deliveries id "+name, admin("GET", "/api/v1/endpoints/"+id+"/deliveries", ""), codes(400, 404, 414))
	}
	add("endpoint patch name of 100000 chars", onEndpoint("PATCH", "", `{"name":`+js(long(100000))+`}`), bad("name"))
	add("endpoint patch name non-UTF-8", onEndpoint("PATCH", "", `{"name":`+raw("\xff")+`}`), bad("name"))
	add("endpoint patch owner", onEndpoint("PATCH", "", `{"owner":`+js(long(5000))+`}`), codes(400))
	add("endpoint patch enabled 1e999999", onEndpoint("PATCH", "", `{"enabled":1e999999}`), bad("enabled"))
	add("endpoint delivery id of 4100 chars", onEndpoint("GET", "/deliveries/"+long(4100), ""), codes(400, 404, 414))
	add("endpoint delivery id *", onEndpoint("GET", "/deliveries/*", ""), codes(400, 404))
	add("endpoint delivery retry id 400 digits", onEndpoint("POST", "/deliveries/1"+strings.Repeat("0", 399)+"/retry", ""), codes(400, 404, 409))
	add("endpoint deliveries status %FF", onEndpoint("GET", "/deliveries?status=%FF", ""), codes(400, 404))
	add("endpoint deliveries since 1e999999", onEndpoint("GET", "/deliveries?since=1e999999", ""), codes(400, 404))
	add("endpoint deliveries page_token %%%", onEndpoint("GET", "/deliveries?page_token=%%%", ""), codes(400, 404))
	add("endpoint replay since 1e999999", onEndpoint("POST", "/replay", `{"since":"1e999999","until":"2026-01-01T00:00:00Z"}`), codes(400, 404, 409))
	add("endpoint replay since number", onEndpoint("POST", "/replay", `{"since":1e999999}`), codes(400, 404, 409))
	// Per-endpoint delivery settings: headers are sent to receivers, so
	// every name and value is bounded and checked.
	hook := func(f string) string {
		return `{"name":"hostile","type":"webhook","url":"http://example.com/"` + f + `}`
	}
	add("webhook header name of 5000 chars", admin("POST", "/api/v1/endpoints", hook(`,"headers":{`+js(long(5000))+`:"v"}`)), bad("headers["))
	add("webhook header value of 5000 chars", admin("POST", "/api/v1/endpoints", hook(`,"headers":{"X-A":`+js(long(5000))+`}`)), bad("headers[X-A]"))
	many := make([]string, 10000)
	for i := range many {
		many[i] = fmt.Sprintf(`"X-%d":"v"`, i)
	}
	add("webhook 10000 headers", admin("POST", "/api/v1/endpoints", hook(`,"headers":{`+strings.Join(many, ",")+`}`)), bad("headers"))
	add("webhook header reserved", admin("POST", "/api/v1/endpoints", hook(`,"headers":{"WEBHOOK-SIGNATURE":"v1,x"}`)), bad("headers[WEBHOOK-SIGNATURE]"))
	add("webhook header value CRLF", admin("POST", "/api/v1/endpoints", hook(`,"headers":{"X-A":"a\r\nX-B: c"}`)), bad("headers[X-A]"))
	add("webhook headers not an object", admin("POST", "/api/v1/endpoints", hook(`,"headers":["a"]`)), bad("headers"))
	for name, v := range nonUTF8 {
		add("webhook header value non-UTF-8 "+name, admin("POST", "/api/v1/endpoints", hook(`,"headers":{"X-A":`+raw(v)+`}`)), codes(400))
		add("webhook header name non-UTF-8 "+name, admin("POST", "/api/v1/endpoints", hook(`,"headers":{`+raw("X-"+v)+`:"v"}`)), codes(400))
		add("filter where non-UTF-8 "+name, filterBody(`,"where":`+raw("event.x == '"+v+"'")), codes(400))
	}
	for name, v := range wildcards {
		add("webhook header name wildcard "+name, admin("POST", "/api/v1/endpoints", hook(`,"headers":{`+js("X-"+v)+`:"v"}`)), codes(201, 400))
		add("filter where wildcard "+name, filterBody(`,"where":`+js(v)), codes(201, 400)) // white space alone: no condition
	}
	for name, v := range hugeNumbers {
		add("webhook rate_limit "+name, admin("POST", "/api/v1/endpoints", hook(`,"rate_limit":`+v)), bad("rate_limit"))
		add("webhook concurrency "+name, admin("POST", "/api/v1/endpoints", hook(`,"concurrency":`+v)), bad("concurrency"))
	}
	add("websocket rate_limit", onEndpoint("PATCH", "", `{"rate_limit":5}`), bad("rate_limit"))
	add("filter where of 5000 chars", filterBody(`,"where":`+js(long(5000))), bad("where"))
	add("filter where of 100000 chars", filterBody(`,"where":`+js(long(100000))), bad("where"))
	add("filter where 5000 nested parens", filterBody(`,"where":`+js(strings.Repeat("(", 2000)+"true"+strings.Repeat(")", 2000))), bad("where"))
	add("filter where 1000 clauses", filterBody(`,"where":`+js("true"+strings.Repeat(" && true", 500))), codes(201, 400))
	add("filter where controls", filterBody(`,"where":"event.x == \"\u0000\" \u001b[31m"`), bad("where"))
	add("filter where number", filterBody(`,"where":1e999999`), bad("where"))
	add("filter where not bool", filterBody(`,"where":"event.confidence"`), bad("where"))
	add("endpoint bulk retry since 1e999999", onEndpoint("POST", "/retry", `{"since":"1e999999"}`), codes(400, 404))
	add("endpoint bulk retry status of 5000 chars", onEndpoint("POST", "/retry", `{"status":`+js(long(5000))+`,"since":"2026-01-01T00:00:00Z"}`), codes(400, 404))
	add("endpoint bulk retry until of 5000 wildcards", onEndpoint("POST", "/retry", `{"since":"2026-01-01T00:00:00Z","until":`+js(strings.Repeat("*>", 2500))+`}`), codes(400, 404))
	add("endpoint bulk retry since non-UTF-8", onEndpoint("POST", "/retry", `{"since":`+raw("2026-01-01T00:00:00Z\xff")+`}`), codes(400, 404))
	add("endpoint bulk retry status non-UTF-8", onEndpoint("POST", "/retry", `{"status":`+raw("\xff")+`,"since":"2026-01-01T00:00:00Z"}`), codes(400, 404))
	add("endpoint rotate secret of 100000 chars", onEndpoint("POST", "/rotate-secret", `{"secret":`+js(long(100000))+`}`), codes(400, 404, 409))
	for name, q := range map[string]string{
		"id of 4100 chars": "id=" + long(4100), "type %FF": "type=%FF", "type NUL": "type=websocket%00", "sort *": "sort=*",
		"limit 400 digits": "limit=1" + strings.Repeat("0", 399), "page_token %%%": "page_token=%%%", "page_token %zz": "page_token=%zz",
		"page_token of 4100 chars": "page_token=" + long(4100), "page_token %FF": "page_token=%FF", "page_token garbage": "page_token=abc",
		"owner %zz": "owner=%zz", "unknown %FF": "%FF=1",
	} {
		w := codes(400)
		if strings.HasPrefix(name, "id") {
			w = codes(200, 400)
		}
		add("endpoint list "+name, admin("GET", "/api/v1/endpoints?"+q, ""), w)
		if !strings.HasPrefix(name, "type") {
			add("filter list "+name, admin("GET", "/api/v1/event-filters?"+q, ""), w)
			add("rule list "+name, admin("GET", "/api/v1/rules?"+q, ""), w)
		}
	}
	add("filter list endpoint_id %zz", admin("GET", "/api/v1/event-filters?endpoint_id=%zz", ""), codes(400))
	add("filter list endpoint_id of 4100 chars", admin("GET", "/api/v1/event-filters?endpoint_id="+long(4100), ""), codes(200, 400))

	// Event filters: their values are compared with routing attributes.
	for _, field := range []string{"device_ids", "agent_ids", "watchlist_ids", "event_types"} {
		for _, n := range longLens {
			add(fmt.Sprintf("filter %s item of %d chars", field, n), filterBody(`,"`+field+`":[`+js(long(n))+`]`), bad(field))
		}
		add("filter "+field+" item non-UTF-8", filterBody(`,"`+field+`":[`+raw("\xff\xfe")+`]`), bad(field))
		add("filter "+field+" wildcards", filterBody(`,"`+field+`":["*",">","a.b","$"]`), safe)
		add("filter "+field+" controls", filterBody(`,"`+field+`":["\u0000","a\r\nb","\u001b[31m"]`), safe)
		add("filter "+field+" 100000 items", filterBody(`,"`+field+`":[`+strings.TrimSuffix(strings.Repeat(`"a",`, 100000), ",")+`]`), bad(field))
	}
	add("filter name of 100000 chars", admin("POST", "/api/v1/event-filters", `{"name":`+js(long(100000))+`,"endpoint_id":"x"}`), codes(400))
	add("filter endpoint_id of 100000 chars", admin("POST", "/api/v1/event-filters", `{"name":"x","endpoint_id":`+js(long(100000))+`}`), bad("endpoint_id"))
	add("filter endpoint_id *", admin("POST", "/api/v1/event-filters", `{"name":"x","endpoint_id":"*"}`), bad("endpoint_id"))
	for name, id := range resourceIDs {
		add("filter get id "+name, admin("GET", "/api/v1/event-filters/"+id, ""), codes(400, 404, 414))
		add("filter patch id "+name, admin("PATCH", "/api/v1/event-filters/"+id, `{"name":"x"}`), codes(400, 404, 414))
		add("filter delete id "+name, admin("DELETE", "/api/v1/event-filters/"+id, ""), codes(400, 404, 414))
	}

	// Composite rules: the id is chosen by the caller and is a KV key.
	rule := func(f string) string {
		return `{"name":"hostile","window_seconds":30,"min_events":3,"group_by":"label_id"` + f + `}`
	}
	for _, n := range longLens {
		add(fmt.Sprintf("rule id of %d chars", n), admin("POST", "/api/v1/rules", rule(`,"id":`+js(long(n)))), bad("id"))
		add(fmt.Sprintf("rule name of %d chars", n), admin("POST", "/api/v1/rules", `{"name":`+js(long(n))+`,"window_seconds":30,"min_events":3}`), bad("name"))
		add(fmt.Sprintf("rule owner of %d chars", n), admin("POST", "/api/v1/rules", rule(`,"owner":`+js(long(n)))), bad("owner"))
		add(fmt.Sprintf("rule include_mic_ids item of %d chars", n), admin("POST", "/api/v1/rules", rule(`,"include_mic_ids":[`+js(long(n))+`]`)), bad("include_mic_ids"))
		add(fmt.Sprintf("rule include_label_ids item of %d chars", n), admin("POST", "/api/v1/rules", rule(`,"include_label_ids":[`+js(long(n))+`]`)), bad("include_label_ids"))
	}
	for name, v := range wildcards {
		add("rule id wildcard "+name, admin("POST", "/api/v1/rules", rule(`,"id":`+js(v+"_"+uid("r")))), safe)
	}
	for name, v := range controls {
		add("rule id control "+name, admin("POST", "/api/v1/rules", rule(`,"id":`+js(v))), safe)
		add("rule owner control "+name, admin("POST", "/api/v1/rules", rule(`,"owner":`+js(v))), bad("owner"))
	}
	for name, v := range nonUTF8 {
		add("rule id non-UTF-8 "+name, admin("POST", "/api/v1/rules", rule(`,"id":`+raw(v))), bad("id"))
		add("rule include_label_ids non-UTF-8 "+name, admin("POST", "/api/v1/rules", rule(`,"include_label_ids":[`+raw(v)+`]`)), bad("include_label_ids"))
	}
	add("rule id of 1400 dots", admin("POST", "/api/v1/rules", rule(`,"id":`+js(strings.Repeat(".", 1400)))), safe)
	for name, v := range hugeNumbers {
		add("rule window_seconds "+name, admin("POST", "/api/v1/rules", `{"name":"x","window_seconds":`+v+`,"min_events":3}`), bad("window_seconds"))
		add("rule min_events "+name, admin("POST", "/api/v1/rules", `{"name":"x","window_seconds":30,"min_events":`+v+`}`), bad("min_events"))
		add("rule cooldown_seconds "+name, admin("POST", "/api/v1/rules", rule(`,"cooldown_seconds":`+v)), bad("cooldown_seconds"))
	}
	add("rule group_by *", admin("POST", "/api/v1/rules", `{"name":"x","window_seconds":30,"min_events":3,"group_by":"*"}`), bad("group_by"))
	add("rule 100000 include_mic_ids", admin("POST", "/api/v1/rules", rule(`,"include_mic_ids":[`+strings.TrimSuffix(strings.Repeat(`"m",`, 100000), ",")+`]`)), bad("include_mic_ids"))
	for name, id := range resourceIDs {
		add("rule get id "+name, admin("GET", "/api/v1/rules/"+id, ""), codes(400, 404, 414))
		add("rule patch id "+name, admin("PATCH", "/api/v1/rules/"+id, `{"name":"x"}`), codes(400, 404, 414))
		add("rule delete id "+name, admin("DELETE", "/api/v1/rules/"+id, ""), codes(400, 404, 414))
	}
	return cs
}

// resourceIDs are hostile {id} path values (none exists).
var resourceIDs = map[string]string{
	"4100 chars": long(4100), "100000 chars": long(100000), "star": "*", "gt": ">", "%FF": "%FF", "%00": "%00",
	"CRLF": "a%0D%0Ab", "1400 escaped dots": strings.Repeat("%2E", 1400), "%2F": "a%2Fb",
}

// useKey: a key that was created works for ingest, query and streams
// without hurting the gateway (its owner is in every subject it uses).
func useKey(e *env, r *Resp) []string {
	if r.Status != 201 {
		return nil
	}
	var k struct {
		Token string `json:"token"`
		Owner string `json:"owner"`
	}
	if json.Unmarshal(r.Body, &k) != nil || k.Token == "" {
		return []string{"no token in the created key"}
	}
	var probs []string
	for _, q := range []Req{
		{Method: "POST", Target: "/api/v1/events/sound", CType: "application/json", Body: soundJSON(nil)},
		{Method: "GET", Target: "/api/v1/events?family=sound", CLen: -1},
		{Method: "GET", Target: "/api/v1/composite-events/x", CLen: -1},
		{Method: "GET", Target: "/api/v1/devices/mic_001/analysis/stream", CLen: -1, Stream: sse},
		{Method: "GET", Target: "/api/v1/ws/composite-events", CLen: -1, Stream: wsComposite},
	} {
		a := sendRaw(e.addr, k.Token, q)
		if a.Status == 0 || a.Status >= 500 {
			probs = append(probs, fmt.Sprintf("the created key (owner %q) gets %s on %s %s", short(k.Owner), answer(a), q.Method, q.Target))
		}
	}
	return probs
}

// useEndpoint: an endpoint that was created can be streamed from without
// hurting the gateway (its owner is in the subject it follows).
func useEndpoint(e *env, r *Resp) []string {
	if r.Status != 201 {
		return nil
	}
	var ep struct {
		ID    string `json:"id"`
		Owner string `json:"owner"`
	}
	if json.Unmarshal(r.Body, &ep) != nil || ep.ID == "" {
		return []string{"no id in the created endpoint"}
	}
	a := sendRaw(e.addr, "", Req{Method: "GET", Target: "/event-service/ws?endpoint_id=" + qv(ep.ID), CLen: -1, Stream: wsEndpoint})
	if a.Status != 101 {
		return []string{fmt.Sprintf("the created endpoint (owner %q) cannot be streamed: %s", short(ep.Owner), answer(a))}
	}
	return nil
}
