package hostile

import (
	"fmt"
	"strings"
)

func stream(kind streamKind, role, target string, header ...string) func(*env) Req {
	return static(Req{Method: "GET", Target: target, Role: role, CLen: -1, Stream: kind, Header: header})
}

func streamCases() []Case {
	var cs []Case
	add := func(name string, r func(*env) Req, w Want) { cs = append(cs, Case{Name: name, R: r, Want: w}) }
	ws := func(after string) func(*env) Req {
		return stream(wsComposite, roleRead, "/api/v1/ws/composite-events?after="+after)
	}

	// Composite WebSocket ?after=: the id becomes a subject token of a
	// last-message lookup before the upgrade.
	add("composite WS, no after", stream(wsComposite, roleRead, "/api/v1/ws/composite-events"), codes(101))
	add("composite WS after own composite", ws("composite_evt_globex"), codes(101, 404)) // 404 today: see composite get own id
	add("composite WS after another tenant's composite", ws("composite_evt_acme"), codes(404))
	for _, n := range longLens {
		add(fmt.Sprintf("composite WS after of %d chars", n), ws(long(n)), bad("after"))
		add(fmt.Sprintf("admin composite WS after of %d chars", n), stream(wsComposite, roleAdmin, "/api/v1/ws/composite-events?after="+long(n)), bad("after"))
	}
	for name, v := range map[string]string{
		"star": "*", "gt": "%3E", "%2A": "%2A", "dot": "composite_evt_globex.x", "prefix star": "composite_evt_*",
		"1400 dots": strings.Repeat(".", 1400), "1400 escaped dots": strings.Repeat("%2E", 1400), "NUL": "%00", "CRLF": "a%0D%0Ab",
		"spaces": "a+b", "dollar": "$JS",
	} {
		add("composite WS after "+name, ws(v), codes(400, 404))
		add("admin composite WS after "+name, stream(wsComposite, roleAdmin, "/api/v1/ws/composite-events?after="+v), codes(400, 404))
	}
	add("composite WS after %FF", ws("%FF"), bad("after"))
	for name, v := range badEscapes {
		add("composite WS after bad escape "+name, ws(v), codes(400))
	}
	add("composite WS access_token of 100000 chars", stream(wsComposite, roleNone, "/api/v1/ws/composite-events?access_token="+long(100000)), codes(400, 401))
	add("composite WS access_token %FF", stream(wsComposite, roleNone, "/api/v1/ws/composite-events?access_token=%FF"), codes(400, 401))
	add("composite WS access_token %zz", stream(wsComposite, roleNone, "/api/v1/ws/composite-events?access_token=%zz"), codes(400, 401))
	add("composite WS with the write key", stream(wsComposite, roleWrite, "/api/v1/ws/composite-events"), codes(403))
	add("composite WS with a bad Sec-WebSocket-Key", static(Req{Method: "GET", Target: "/api/v1/ws/composite-events", Role: roleRead, CLen: -1,
		Header: []string{"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: \xff"}}), codes(400))
	add("composite WS with version 99", static(Req{Method: "GET", Target: "/api/v1/ws/composite-events", Role: roleRead, CLen: -1,
		Header: []string{"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 99", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="}}), codes(400, 426))

	// SSE: the device id in the path and the resume cursor.
	dev := func(id string, header ...string) func(*env) Req {
		return stream(sse, roleRead, "/api/v1/devices/"+id+"/analysis/stream", header...)
	}
	add("SSE own device", dev("device-globex"), codes(200))
	add("SSE all devices", stream(sse, roleRead, "/api/v1/devices/analysis/stream/all"), codes(200))
	add("SSE another tenant's device", dev("device-uuid"), codes(404))
	for _, n := range longLens {
		// A path-length guard may answer before the route (no field then).
		add(fmt.Sprintf("SSE device id of %d chars", n), dev(long(n)), codes(400, 414))
		add(fmt.Sprintf("admin SSE device id of %d chars", n), stream(sse, roleAdmin, "/api/v1/devices/"+long(n)+"/analysis/stream"), codes(400, 414))
	}
	for name, v := range map[string]string{
		"star": "*", "gt": "%3E", "%2A": "%2A", "dot": "device-uuid.x", "prefix star": "device-*", "1400 escaped dots": strings.Repeat("%2E", 1400),
		"NUL": "%00", "CRLF": "a%0D%0Ab", "ESC": "%1B%5B31m", "space": "a%20b", "dollar": "$JS",
	} {
		// A device with no events yet may be streamed (200); the answer
		// must never be another tenant's stream.
		add("SSE device id "+name, dev(v), codes(200, 400, 404))
	}
	add("SSE device id %FF", dev("%FF"), codes(400, 404))
	add("SSE device id %zz", dev("%zz"), Want{Codes: []int{400}, Protocol: true})
	for _, n := range longLens {
		add(fmt.Sprintf("SSE Last-Event-ID of %d chars", n), dev("device-globex", "Last-Event-ID: "+long(n)), codesF("Last-Event-ID", 400))
	}
	for name, v := range map[string]string{
		"-1": "-1", "0": "0", "2^64": "18446744073709551616", "400 digits": "1" + strings.Repeat("0", 399), "1e5": "1e5",
		"abc": "abc", "non-UTF-8": "\xff\xfe", "%zz": "%zz",
	} {
		add("SSE Last-Event-ID "+name, dev("device-globex", "Last-Event-ID: "+v), codes(400))
	}
	add("SSE Last-Event-ID with ESC", dev("device-globex", "Last-Event-ID: \x1b[31m"), Want{Codes: []int{400}, Protocol: true})
	add("SSE Last-Event-ID with NUL", dev("device-globex", "Last-Event-ID: 1\x00"), Want{Codes: []int{400}, Protocol: true})
	add("SSE Last-Event-ID with bare CR", dev("device-globex", "Last-Event-ID: 1\r2"), Want{Codes: []int{400}, Protocol: true})
	add("SSE Last-Event-ID twice", dev("device-globex", "Last-Event-ID: 1", "Last-Event-ID: abc"), codes(200, 400))
	add("SSE last_event_id of 4100 chars", stream(sse, roleRead, "/api/v1/devices/analysis/stream/all?last_event_id="+long(4100)), bad("last_event_id"))
	for name, v := range map[string]string{"%FF": "%FF", "-1": "-1", "NUL": "1%00", "1e5": "1e5"} {
		add("SSE last_event_id "+name, stream(sse, roleRead, "/api/v1/devices/analysis/stream/all?last_event_id="+v), codes(400))
	}
	for name, v := range badEscapes {
		add("SSE last_event_id bad escape "+name, stream(sse, roleRead, "/api/v1/devices/analysis/stream/all?last_event_id="+v), codes(400))
		add("SSE access_token bad escape "+name, stream(sse, roleNone, "/api/v1/devices/analysis/stream/all?access_token="+v), codes(400, 401))
	}
	add("SSE access_token of 100000 chars", stream(sse, roleNone, "/api/v1/devices/analysis/stream/all?access_token="+long(100000)), codes(400, 401))
	add("SSE with the write key", stream(sse, roleWrite, "/api/v1/devices/analysis/stream/all"), codes(403))

	// Endpoint WebSocket ?endpoint_id=.
	epws := func(id string) func(*env) Req {
		return stream(wsEndpoint, roleNone, "/event-service/ws?endpoint_id="+id)
	}
	add("endpoint WS own endpoint", func(e *env) Req { return epws(e.wsEndpoint)(e) }, codes(101))
	add("endpoint WS without endpoint_id", stream(wsEndpoint, roleNone, "/event-service/ws"), bad("endpoint_id"))
	for _, n := range longLens {
		add(fmt.Sprintf("endpoint WS endpoint_id of %d chars", n), epws(long(n)), codesF("endpoint_id", 400, 404))
	}
	for name, v := range map[string]string{"star": "*", "gt": "%3E", "%FF": "%FF", "NUL": "%00", "CRLF": "a%0D%0Ab", "1400 dots": strings.Repeat(".", 1400)} {
		add("endpoint WS endpoint_id "+name, epws(v), codes(400, 404))
	}
	for name, v := range badEscapes {
		add("endpoint WS endpoint_id bad escape "+name, epws(v), codes(400))
	}
	add("endpoint WS endpoint_id twice", func(e *env) Req { return epws(e.wsEndpoint + "&endpoint_id=*")(e) }, codes(101, 400))

	// Authorization and other headers, on a REST route and a stream.
	for name, h := range map[string]string{
		"token of 100000 chars": "Authorization: Bearer " + long(100000), "token non-UTF-8": "Authorization: Bearer evt_\xff\xfe",
		"token %zz":   "Authorization: Bearer %zz",
		"scheme only": "Authorization: Bearer", "basic scheme": "Authorization: Basic YWRtaW46YWRtaW4=",
		"token wildcard": "Authorization: Bearer evt_*_>", "two spaces": "Authorization: Bearer  " + "x",
	} {
		add("header "+name+" on query", stream(plain, roleNone, "/api/v1/events", h), codes(401))
		add("header "+name+" on SSE", stream(sse, roleNone, "/api/v1/devices/analysis/stream/all", h), codes(401))
	}
	for name, h := range map[string]string{"NUL in token": "Authorization: Bearer evt_\x00", "ESC in token": "Authorization: Bearer evt_\x1b[31m", "bare CR": "Authorization: Bearer a\rb",
		"bare LF in name": "Auth\norization: Bearer x", "space in name": "Authorization : Bearer x"} {
		add("header "+name, stream(plain, roleNone, "/api/v1/events", h), Want{Codes: []int{400, 401}, Protocol: true})
	}
	add("header X-Request-ID non-UTF-8", stream(plain, roleRead, "/api/v1/events?limit=1", "X-Request-Id: \xff\xfe"), codes(200))
	add("header Accept of 100000 chars", stream(plain, roleRead, "/api/v1/events?limit=1", "Accept: "+long(100000)), codes(200, 406))
	add("unknown route, %FF", stream(plain, roleRead, "/api/v1/%FF"), codes(400, 404))
	add("unknown route, 100000 chars", stream(plain, roleRead, "/api/v1/"+long(100000)), codes(400, 404, 414))
	add("method TRACE", static(Req{Method: "TRACE", Target: "/api/v1/events", Role: roleRead, CLen: -1}), codes(405))
	add("method of 4100 chars", static(Req{Method: strings.ToUpper(long(4100)), Target: "/api/v1/events", Role: roleRead, CLen: -1}), Want{Codes: []int{400, 405}, Protocol: true})

	// Last, as what it breaks lasts: many short-lived streams from one
	// ordinary key; each open reads the log, and what it leaves behind
	// must not exhaust storage for everyone.
	cs = append(cs, Case{Name: "SSE of an unknown device opened and closed 1000 times, then a query", R: dev("device-globex"), Want: codes(200), Post: burst(1000)})
	return cs
}

// burst opens and closes n SSE streams of the reader, then queries: no
// answer may be a 5xx.
func burst(n int) func(*env, *Resp) []string {
	return func(e *env, _ *Resp) []string {
		r := Req{Method: "GET", Target: "/api/v1/devices/never-seen/analysis/stream", Role: roleRead, CLen: -1, Stream: sse}
		for i := range n {
			if a := e.send(r); a.Status == 0 || a.Status >= 500 {
				return []string{fmt.Sprintf("stream %d of %d: %s", i+1, n, answer(a))}
			}
		}
		a := e.send(Req{Method: "GET", Target: "/api/v1/events?limit=1", Role: roleRead, CLen: -1})
		if a.Status != 200 {
			return []string{fmt.Sprintf("query after %d streams: %s", n, answer(a))}
		}
		return nil
	}
}
