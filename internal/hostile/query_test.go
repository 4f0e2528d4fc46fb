package hostile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/evtctl/evtctl/pkg/proto"
)

func get(role, target string) func(*env) Req {
	return static(Req{Method: "GET", Target: target, Role: role, CLen: -1})
}

// The identifier query parameters and the routing attribute each selects.
var idParams = []string{"device_id", "agent_id", "event_type"}

func queryCases() []Case {
	var cs []Case
	add := func(name string, r func(*env) Req, w Want, post ...func(*env, *Resp) []string) {
		c := Case{Name: name, R: r, Want: w}
		if len(post) > 0 {
			c.Post = post[0]
		}
		cs = append(cs, c)
	}
	q := func(param, raw string) func(*env) Req { return get(roleRead, "/api/v1/events?"+param+"="+raw) }

	for _, p := range idParams {
		for _, n := range longLens {
			add(fmt.Sprintf("query %s of %d chars", p, n), q(p, long(n)), bad(p))
		}
		for name, v := range growing {
			add("query "+p+" of "+name, q(p, qv(v)), safe, exact(p, v))
		}
		for name, v := range wildcards {
			add("query "+p+" wildcard "+name, q(p, qv(v)), safe, exact(p, v))
		}
		for name, v := range controls {
			add("query "+p+" control "+name, q(p, qv(v)), safe, exact(p, v))
		}
		for name, v := range map[string]string{"%FF": "%FF", "%C0%AF": "%C0%AF", "%ED%A0%80": "%ED%A0%80"} {
			add("query "+p+" non-UTF-8 "+name, q(p, v), bad(p))
		}
		for name, v := range badEscapes {
			add("query "+p+" bad escape "+name, q(p, v), codes(400))
		}
		// Another tenant's device is not there for this key.
		add("query "+p+" of another tenant", q(p, map[string]string{"device_id": "mic_001", "agent_id": "edge_001", "event_type": "normal_speech_female"}[p]),
			codes(200), exact(p, ""))
	}
	for name, v := range map[string]string{"4100 chars": long(4100), "star": "*", "%FF": "%FF", "NUL": "%00", "gt": "%3E"} {
		add("query family "+name, q("family", v), bad("family"))
	}
	for _, p := range []string{"since", "until"} {
		for name, v := range map[string]string{
			"4100 chars": long(4100), "100000 chars": long(100000), "1e999999": "1e999999", "400 digits": "1" + strings.Repeat("0", 399),
			"month 13": "2026-13-45T00:00:00Z", "%FF": "%FF", "NUL": "2026-01-01T00:00:00Z%00", "year 99999": "99999-01-01T00:00:00Z",
			"negative": "-1",
		} {
			add("query "+p+" "+name, q(p, v), bad(p))
		}
		for name, v := range badEscapes {
			add("query "+p+" bad escape "+name, q(p, v), codes(400))
		}
	}
	for _, n := range longLens {
		add(fmt.Sprintf("query after of %d chars", n), q("after", long(n)), bad("after"))
	}
	for name, v := range map[string]string{
		"-1": "-1", "0": "0", "2^64": "18446744073709551616", "400 digits": "1" + strings.Repeat("0", 399), "1e5": "1e5",
		"abc": "abc", "%FF": "%FF", "NUL": "1%00", "leading space": "%201", "plus": "%2B1", "hex": "0x10",
	} {
		add("query after "+name, q("after", v), codes(400))
	}
	for name, v := range badEscapes {
		add("query after bad escape "+name, q("after", v), codes(400))
	}
	for name, v := range map[string]string{
		"0": "0", "-1": "-1", "1001": "1001", "1e3": "1e3", "400 digits": "1" + strings.Repeat("0", 399), "10abc": "10abc",
		"%FF": "%FF", "4100 chars": long(4100), "space": "%2010", "2^63": "9223372036854775808",
	} {
		add("query limit "+name, q("limit", v), bad("limit"))
	}
	for name, v := range badEscapes {
		add("query limit bad escape "+name, q("limit", v), codes(400))
	}
	// owner: another tenant is 403 for a regular key; an admin's hostile
	// owner is refused or matches literally.
	add("query owner=acme (another tenant)", q("owner", "acme"), codes(403))
	add("query owner=* (wildcard)", q("owner", "*"), codes(400, 403))
	add("query owner=> (wildcard)", q("owner", "%3E"), codes(400, 403))
	for _, n := range longLens {
		add(fmt.Sprintf("admin query owner of %d chars", n), get(roleAdmin, "/api/v1/events?owner="+long(n)), bad("owner"))
	}
	for name, v := range map[string]string{"%FF": "%FF", "NUL": "%00", "CRLF": "a%0D%0Ab"} {
		add("admin query owner "+name, get(roleAdmin, "/api/v1/events?owner="+v), bad("owner"))
	}
	for name, v := range wildcards {
		add("admin query owner wildcard "+name, get(roleAdmin, "/api/v1/events?owner="+qv(v)), safe, ownerIs(v))
	}
	for name, v := range badEscapes {
		add("admin query owner bad escape "+name, get(roleAdmin, "/api/v1/events?owner="+v), codes(400))
	}
	// Parameter names and shapes.
	for name, v := range map[string]string{
		"unknown %FF": "%FF=1", "unknown 4100 chars": long(4100) + "=1", "NUL in name": "device_id%00=x", "upper case": "DEVICE_ID=x",
		"bad escape in name": "dev%zz=1", "%%% alone": "%%%",
	} {
		add("query parameter "+name, get(roleRead, "/api/v1/events?"+v), codes(400))
	}
	add("query device_id twice", get(roleRead, "/api/v1/events?device_id=mic_globex&device_id=*"), safe, noLeak)
	add("query device_id without =", get(roleRead, "/api/v1/events?device_id"), safe, noLeak)
	add("query of 100000 ampersands", get(roleRead, "/api/v1/events?"+strings.Repeat("&", 100000)), safe, noLeak)
	add("query with every filter", get(roleRead, "/api/v1/events?family=sound&device_id=mic_globex&agent_id=edge_001&event_type=normal_speech_female&since=2020-01-01T00:00:00Z&until=2099-01-01T00:00:00Z&limit=5"),
		codes(200), exact("device_id", "mic_globex"))

	// The composite list and lookup.
	cl := func(raw string) func(*env) Req { return get(roleRead, "/api/v1/composite-events?"+raw) }
	add("composite list after of 4100 chars", cl("after="+long(4100)), bad("after"))
	add("composite list after %zz", cl("after=%zz"), codes(400))
	add("composite list limit 400 digits", cl("limit=1"+strings.Repeat("0", 399)), bad("limit"))
	add("composite list family=sound", cl("family=sound"), bad("family"))
	add("composite list device_id of 4100 chars", cl("device_id="+long(4100)), bad("device_id"))
	add("composite list device_id *", cl("device_id=*"), safe, notContains("composite_evt_"))
	add("composite list page_token %%%", cl("page_token=%%%"), codes(400))
	add("composite list", cl(""), codes(200), notContains("composite_evt_acme"))
	cg := func(role, id string) func(*env) Req { return get(role, "/api/v1/composite-events/"+id) }
	for _, n := range longLens {
		// A path-length guard may answer before the route (no field then).
		add(fmt.Sprintf("composite get id of %d chars", n), cg(roleRead, long(n)), codes(400, 414))
	}
	// A composite relayed through ingest is filed under its id (docs/architecture.md#the-event-log-internalstoreloggo).
	add("composite get own id", cg(roleRead, "composite_evt_globex"), codes(200))
	add("composite get another tenant's id", cg(roleRead, "composite_evt_acme"), codes(404))
	for name, v := range map[string]string{
		"star": "*", "gt": ">", "%2A": "%2A", "%3E": "%3E", "dot": "composite_evt_globex.x", "prefix star": "composite_evt_*",
		"1400 dots": strings.Repeat(".", 1400), "%FF": "%FF", "%00": "%00", "CRLF": "a%0D%0Ab", "spaces": "%20%20",
	} {
		add("composite get id "+name, cg(roleRead, v), codes(400, 404))
		add("admin composite get id "+name, cg(roleAdmin, v), codes(400, 404))
	}
	add("composite get id %zz", cg(roleRead, "%zz"), Want{Codes: []int{400}, Protocol: true})
	add("composite get id 1400 escaped dots", cg(roleRead, strings.Repeat("%2E", 1400)), codes(400, 404))
	return cs
}

// badEscapes are percent-escapes that do not decode.
var badEscapes = map[string]string{"%zz": "%zz", "%%%": "%%%", "truncated %4": "ab%4", "lone %": "a%", "%G0": "%G0"}

// page reads an answer of GET /api/v1/events.
func page(r *Resp) (proto.EventPage, bool) {
	var p proto.EventPage
	return p, r.Status == 200 && json.Unmarshal(r.Body, &p) == nil
}

// noLeak: the reader sees only its own tenant.
func noLeak(e *env, r *Resp) []string {
	p, ok := page(r)
	if !ok {
		return nil
	}
	for _, it := range p.Items {
		if it.Owner != ownerB {
			return []string{fmt.Sprintf("an event of tenant %q was returned to %q", short(it.Owner), ownerB)}
		}
	}
	return nil
}

// exact: a filter matches literally (a wildcard or a dropped value does not
// widen the query), and only the reader's tenant. want "" means: no item.
func exact(param, want string) func(*env, *Resp) []string {
	return func(e *env, r *Resp) []string {
		if probs := noLeak(e, r); probs != nil {
			return probs
		}
		p, _ := page(r)
		for _, it := range p.Items {
			rt, errs := proto.Extract(it.Family, it.Event)
			if len(errs) > 0 {
				continue
			}
			got := map[string]string{"device_id": rt.DeviceID, "agent_id": rt.AgentID, "event_type": rt.EventType}[param]
			if want == "" || got != want {
				return []string{fmt.Sprintf("the query widened: %s=%q returned an event with %s %q", param, short(want), param, short(got))}
			}
		}
		return nil
	}
}

// ownerIs: an admin's owner filter matches literally.
func ownerIs(owner string) func(*env, *Resp) []string {
	return func(e *env, r *Resp) []string {
		p, _ := page(r)
		for _, it := range p.Items {
			if it.Owner != owner {
				return []string{fmt.Sprintf("owner=%q returned an event of %q", short(owner), short(it.Owner))}
			}
		}
		return nil
	}
}

func notContains(s string) func(*env, *Resp) []string {
	return func(e *env, r *Resp) []string {
		if r.Status == 200 && bytes.Contains(r.Body, []byte(s)) {
			return []string{fmt.Sprintf("the answer holds %q, which this key may not see or did not ask for", s)}
		}
		return nil
	}
}
