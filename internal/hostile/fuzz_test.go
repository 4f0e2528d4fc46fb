package hostile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/serve"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Fuzz targets for the HTTP handlers themselves (pkg/proto fuzzes the
// decoders): each input goes through the real router of one gateway,
// started once per target, over its loopback listener. For every input:
// an answer (no panic, no dropped connection), never a 5xx (503
// "overloaded" aside), a 4xx with the contract's JSON body (or net/http's
// own refusal of an unparsable request), no other tenant's event, and
// the gateway still ready afterwards. Seeds: f.Add below and
// testdata/fuzz/<FuzzName>/. CI runs each briefly (.ci/run):
//
//	go test -run '^$' -fuzz '^FuzzIngest$' -fuzztime 10s ./internal/hostile/

// fuzzEnv is the gateway of one fuzz target.
type fuzzEnv struct {
	addr string
	keys map[string]string
	ws   string // a websocket endpoint id of globex
}

func startFuzz(f *testing.F) *fuzzEnv {
	h := servertest.Run(f, serve.Components, gatewayConfig)
	fe := &fuzzEnv{addr: strings.TrimPrefix(h.URL, "http://"), keys: map[string]string{
		roleAdmin: servertest.AdminToken,
		roleWrite: h.NewKey(ownerA, proto.ScopeEventsWrite),
		roleRead:  h.NewKey(ownerB, proto.ScopeEventsRead, proto.ScopeDeviceRead),
	}}
	for _, s := range []struct {
		fam, target string
		body        []byte
	}{
		{"sound", "/api/v1/events/sound", soundJSON(nil)},
		{"analysis", "/api/v1/events/analysis", analysisJSON(nil)},
		{"analysis", "/api/v1/events/analysis?owner=globex", analysisJSON(fields{"deviceId": js("device-globex")})},
		{"composite", "/api/v1/events/composite?owner=globex", compositeJSON(fields{"id": js("composite_evt_globex")})},
		{"composite", "/api/v1/events/composite?owner=acme", compositeJSON(fields{"id": js("composite_evt_acme")})},
	} {
		r := sendRaw(fe.addr, servertest.AdminToken, Req{Method: "POST", Target: s.target, CType: "application/json", Body: s.body})
		if r.Status != 202 {
			f.Fatalf("seed %s: %s", s.target, answer(r))
		}
	}
	r := h.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "fuzz", "type": "websocket", "owner": ownerB})
	if r.Status != 201 {
		f.Fatalf("create endpoint: %d %s", r.Status, r.Body)
	}
	var ep struct {
		ID string `json:"id"`
	}
	r.JSON(f, &ep)
	fe.ws = ep.ID
	return fe
}

// do sends r and checks the invariants of every answer.
func (fe *fuzzEnv) do(t *testing.T, r Req) *Resp {
	t.Helper()
	a := sendRaw(fe.addr, fe.keys[r.Role], r)
	c := Case{Name: "fuzz", Want: Want{Protocol: true}}
	e := &env{accepted: map[string]map[string]string{}}
	if probs := e.check(c, r, a); len(probs) > 0 {
		t.Errorf("%s %s -> %s: %s", r.Method, short(r.Target), answer(a), strings.Join(probs, "; "))
	}
	if r.Role == roleRead {
		leak := noLeak
		if strings.HasPrefix(r.Target, "/api/v1/composite-events") {
			leak = notContains("composite_evt_acme") // payloads only: no owner to check
		}
		if probs := leak(nil, a); probs != nil {
			t.Errorf("%s %s: %s", r.Method, short(r.Target), probs[0])
		}
	}
	if ok, why := (&env{addr: fe.addr, keys: fe.keys}).ready(); !ok {
		t.Fatalf("after %s %s -> %s, the gateway is not ready: %s", r.Method, short(r.Target), answer(a), why)
	}
	return a
}

// target makes s usable inside a request-target without changing which
// route it reaches: bytes that cannot appear there (controls, space,
// non-ASCII, '#') and those given in extra are percent-escaped; everything
// else, '%' included, is sent as is, so bad escapes reach the handler.
func target(s, extra string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '#' || strings.IndexByte(extra, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// headerValue keeps a fuzzed header on its line.
func headerValue(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

// seedFiles returns the bodies of the product documents' examples.
func seedFiles(f *testing.F) map[string][]byte {
	out := map[string][]byte{}
	paths, _ := filepath.Glob("../../testdata/seeds/*.json")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

var fuzzFamilies = []string{"sound", "analysis", "identification", "composite"}

// FuzzIngest: POST /api/v1/events/{family} with any body, as JSON or NDJSON.
func FuzzIngest(f *testing.F) {
	seeds := seedFiles(f)
	for name, b := range seeds {
		fam := map[string]byte{"sound_event.json": 0, "analysis_result.json": 1, "identification_webhook.json": 2,
			"identification_websocket.json": 2, "composite_event.json": 3}[name]
		f.Add(fam, false, b)
		f.Add(fam, true, append(bytes.ReplaceAll(b, []byte("\n"), nil), '\n'))
	}
	f.Add(byte(0), false, soundJSON(fields{"mic_id": js(long(4100))}))
	f.Add(byte(1), false, analysisJSON(fields{"deviceId": js(strings.Repeat(".", 1400))}))
	f.Add(byte(2), false, identificationJSON(fields{"camera.agent_id": js("*.>")}))
	f.Add(byte(0), false, soundJSON(fields{"confidence": "1e999999"}))
	f.Add(byte(0), false, soundJSON(fields{"description": raw("\xff\xfe")}))
	f.Add(byte(3), false, compositeJSON(fields{"id": js("a\x00b\r\n")}))
	f.Add(byte(0), true, []byte(string(soundJSON(nil))+"\n"+string(soundJSON(fields{"label_id": js(long(5000))}))+"\n"))
	f.Add(byte(0), false, []byte(strings.Repeat("[", 10000)))
	f.Add(byte(1), false, []byte(`{"deviceId":"d","deviceId":"e","analysisId":"a","timestamp":"2026-01-29T10:00:00Z","detections":[{"type":"p","confidence":-1e400}]}`))
	f.Add(byte(2), true, []byte("\n\n \n"))
	f.Add(byte(0), false, []byte{})
	fe := startFuzz(f)
	f.Fuzz(func(t *testing.T, fam byte, ndjson bool, body []byte) {
		ct := "application/json"
		if ndjson {
			ct = "application/x-ndjson"
		}
		fe.do(t, Req{Method: "POST", Target: "/api/v1/events/" + fuzzFamilies[int(fam)%len(fuzzFamilies)], Role: roleWrite, CType: ct, Body: body})
	})
}

// FuzzQuery: GET /api/v1/events?<any query>, with a read key of another
// tenant (and GET /api/v1/composite-events for odd first bytes).
func FuzzQuery(f *testing.F) {
	for _, q := range []string{
		"family=sound&device_id=mic_001&limit=10", "device_id=" + long(4100), "device_id=%zz", "page_token=%%%", "after=%4",
		"device_id=*", "device_id=>", "agent_id=a.b", "event_type=%00", "since=1e999999", "until=2026-13-45T00:00:00Z",
		"limit=1" + strings.Repeat("0", 399), "after=18446744073709551616", "owner=acme", "owner=*", "device_id=%FF",
		"device_id=" + strings.Repeat("%2E", 1400), "%FF=1", "device_id=a&device_id=b", "&&&", "family=composite&after=1",
	} {
		f.Add(false, q)
		f.Add(true, q)
	}
	fe := startFuzz(f)
	f.Fuzz(func(t *testing.T, composites bool, q string) {
		path := "/api/v1/events?"
		if composites {
			path = "/api/v1/composite-events?"
		}
		fe.do(t, Req{Method: "GET", Target: path + target(q, ""), Role: roleRead, CLen: -1})
	})
}

// FuzzCompositeWS: the composite WebSocket handshake with any query
// (?after=, ?access_token=...).
func FuzzCompositeWS(f *testing.F) {
	for _, q := range []string{
		"after=composite_evt_globex", "after=" + long(4100), "after=*", "after=>", "after=%zz", "after=%FF",
		"after=" + strings.Repeat(".", 1400), "after=composite_evt_*", "access_token=%00", "after=a&after=b", "",
	} {
		f.Add(q)
	}
	fe := startFuzz(f)
	f.Fuzz(func(t *testing.T, q string) {
		fe.do(t, Req{Method: "GET", Target: "/api/v1/ws/composite-events?" + target(q, ""), Role: roleRead, CLen: -1, Stream: wsComposite})
	})
}

// FuzzEndpointWS: the endpoint WebSocket handshake with any endpoint_id.
func FuzzEndpointWS(f *testing.F) {
	for _, id := range []string{"", long(4100), "*", ">", "%zz", "%FF", "a.b", strings.Repeat(".", 1400), "\x00"} {
		f.Add(false, id)
	}
	f.Add(true, "")
	fe := startFuzz(f)
	f.Fuzz(func(t *testing.T, own bool, id string) {
		q := "endpoint_id=" + target(id, "&+")
		if own {
			q = "endpoint_id=" + fe.ws + target(id, "")
		}
		fe.do(t, Req{Method: "GET", Target: "/event-service/ws?" + q, CLen: -1, Stream: wsEndpoint})
	})
}

// FuzzSSE: the SSE analysis streams with any device id, query and
// Last-Event-ID.
func FuzzSSE(f *testing.F) {
	f.Add("device-globex", "", "")
	f.Add("", "", "")
	f.Add("device-globex", "last_event_id=1", "")
	f.Add("device-uuid", "", "1")
	f.Add(long(4100), "", "")
	f.Add("*", "", "")
	f.Add(">", "", "")
	f.Add("a.b", "", "")
	f.Add(strings.Repeat(".", 1400), "", "")
	f.Add("device-globex", "last_event_id=%zz", "")
	f.Add("device-globex", "last_event_id=%%%", "")
	f.Add("device-globex", "", long(5000))
	f.Add("device-globex", "", "\xff\xfe")
	f.Add("device-globex", "", "18446744073709551616")
	f.Add("device-globex", "", "-1")
	f.Add("", "access_token=%FF", "")
	f.Add("%zz", "", "")
	fe := startFuzz(f)
	f.Fuzz(func(t *testing.T, device, q, lastEventID string) {
		path := "/api/v1/devices/analysis/stream/all"
		if device != "" {
			path = "/api/v1/devices/" + target(device, "/?") + "/analysis/stream"
		}
		r := Req{Method: "GET", Target: path + "?" + target(q, ""), Role: roleRead, CLen: -1, Stream: sse}
		if lastEventID != "" {
			r.Header = []string{"Last-Event-ID: " + headerValue(lastEventID)}
		}
		fe.do(t, r)
	})
}
