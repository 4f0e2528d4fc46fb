package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

const admin = servertest.AdminToken

func seed(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../../testdata/seeds/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// soundEvent returns the seed sound event (testdata/seeds) with a new id.
func soundEvent(t *testing.T, id string) []byte {
	var m map[string]any
	if err := json.Unmarshal(seed(t, "sound_event.json"), &m); err != nil {
		t.Fatal(err)
	}
	m["id"] = id
	out, _ := json.Marshal(m)
	return out
}

func errorCode(t *testing.T, r *servertest.Response) string {
	t.Helper()
	var body proto.ErrorBody
	r.JSON(t, &body)
	if body.Error.Message == "" {
		t.Fatalf("error body without message: %s", r.Body)
	}
	return body.Error.Code
}

func TestIngestShapesAndDuplicates(t *testing.T) {
	h := servertest.Run(t, nil)
	writer := h.NewKey("acme", proto.ScopeEventsWrite, proto.ScopeEventsRead)

	r := h.Do("POST", "/api/v1/events/sound", writer, "", seed(t, "sound_event.json"))
	if r.Status != http.StatusAccepted || string(bytes.TrimSpace(r.Body)) != `{"accepted":1,"duplicates":0}` {
		t.Fatalf("object: %d %s", r.Status, r.Body)
	}
	r = h.Do("POST", "/api/v1/events/sound", writer, "", seed(t, "sound_event.json"))
	if string(bytes.TrimSpace(r.Body)) != `{"accepted":0,"duplicates":1}` {
		t.Fatalf("resend: %d %s", r.Status, r.Body)
	}
	arr := fmt.Sprintf("[%s,%s]", soundEvent(t, "a1"), soundEvent(t, "a2"))
	r = h.Do("POST", "/api/v1/events/sound", writer, "", arr)
	if string(bytes.TrimSpace(r.Body)) != `{"accepted":2,"duplicates":0}` {
		t.Fatalf("array: %d %s", r.Status, r.Body)
	}
	nd := fmt.Sprintf("%s\n\n%s\n%s\n", soundEvent(t, "n1"), soundEvent(t, "n2"), soundEvent(t, "a1"))
	r = h.Do("POST", "/api/v1/events/sound", writer, "application/x-ndjson", nd)
	if string(bytes.TrimSpace(r.Body)) != `{"accepted":2,"duplicates":1}` {
		t.Fatalf("ndjson: %d %s", r.Status, r.Body)
	}
	for _, f := range []struct{ family, file string }{
		{"analysis", "analysis_result.json"},
		{"identification", "identification_websocket.json"},
		{"identification", "identification_webhook.json"},
	} {
		r = h.Do("POST", "/api/v1/events/"+f.family, writer, "", seed(t, f.file))
		if r.Status != http.StatusAccepted {
			t.Fatalf("%s: %d %s", f.file, r.Status, r.Body)
		}
	}

	var page proto.EventPage
	h.Do("GET", "/api/v1/events?limit=1000", writer, "", nil).JSON(t, &page)
	if len(page.Items) != 8 {
		t.Fatalf("query: %d items, want 8", len(page.Items))
	}
	// Payloads travel as ingested, compacted to one line.
	var want bytes.Buffer
	_ = json.Compact(&want, seed(t, "identification_webhook.json"))
	if got := string(page.Items[7].Event); got != want.String() {
		t.Errorf("stored payload differs:\n got %s\nwant %s", got, want.String())
	}
	if page.Items[7].Family != proto.FamilyIdentification || page.Items[7].Owner != "acme" || page.Items[7].ReceivedAt.IsZero() {
		t.Errorf("record metadata: %+v", page.Items[7])
	}
}

func TestIngestIsAllOrNothing(t *testing.T) {
	h := servertest.Run(t, nil)
	w := h.NewKey("acme", proto.ScopeEventsWrite, proto.ScopeEventsRead)

	bad := strings.Replace(string(soundEvent(t, "b2")), `"created_at":"2026-03-26T09:00:00Z"`, `"created_at":"yesterday"`, 1)
	body := fmt.Sprintf("%s\n%s\nnot json\n", soundEvent(t, "b1"), bad)
	r := h.Do("POST", "/api/v1/events/sound", w, "application/x-ndjson", body)
	if r.Status != http.StatusBadRequest {
		t.Fatalf("status %d %s", r.Status, r.Body)
	}
	var eb proto.ErrorBody
	r.JSON(t, &eb)
	if eb.Error.Code != proto.CodeValidationFailed || len(eb.Error.Details) != 2 {
		t.Fatalf("error body %s", r.Body)
	}
	if d := eb.Error.Details[0]; d.Index != 1 || d.Field != "created_at" {
		t.Errorf("first detail %+v", d)
	}
	if d := eb.Error.Details[1]; d.Index != 2 {
		t.Errorf("second detail %+v", d)
	}
	var page proto.EventPage
	h.Do("GET", "/api/v1/events", w, "", nil).JSON(t, &page)
	if len(page.Items) != 0 {
		t.Fatalf("%d events stored from a rejected request", len(page.Items))
	}
}

func TestIngestBadInput(t *testing.T) {
	h := servertest.Run(t, nil, func(c *config.Config) { c.Server.MaxBodyBytes = 4096 })
	w := h.NewKey("acme", proto.ScopeEventsWrite)
	for _, tc := range []struct {
		name, path, ctype, body string
		status                  int
		code                    string
	}{
		{"unknown family", "/api/v1/events/video", "", `{}`, 404, proto.CodeUnknownFamily},
		{"form content type", "/api/v1/events/sound", "application/x-www-form-urlencoded", `{}`, 415, proto.CodeUnsupportedMediaType},
		{"broken json", "/api/v1/events/sound", "", `{"id":`, 400, proto.CodeValidationFailed},
		{"broken array", "/api/v1/events/sound", "", `[{"id":1},`, 400, proto.CodeInvalidJSON},
		{"empty body", "/api/v1/events/sound", "", ``, 400, proto.CodeBadRequest},
		{"empty array", "/api/v1/events/sound", "", `[]`, 400, proto.CodeBadRequest},
		{"scalar", "/api/v1/events/sound", "", `42`, 400, proto.CodeBadRequest},
		{"missing fields", "/api/v1/events/sound", "", `{"id":"x"}`, 400, proto.CodeValidationFailed},
		{"wrong family shape", "/api/v1/events/analysis", "", string(seed(t, "sound_event.json")), 400, proto.CodeValidationFailed},
		{"too large", "/api/v1/events/sound", "", `[` + strings.Repeat(`{"id":"x"},`, 1000) + `{}]`, 413, proto.CodeBodyTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("POST", tc.path, w, tc.ctype, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if c := errorCode(t, r); c != tc.code {
				t.Errorf("code %q, want %q", c, tc.code)
			}
		})
	}
}

func TestAuthAndScopes(t *testing.T) {
	h := servertest.Run(t, nil)
	reader := h.NewKey("acme", proto.ScopeEventsRead)
	for _, tc := range []struct {
		name, method, path, token string
		status                    int
	}{
		{"no token", "GET", "/api/v1/events", "", 401},
		{"garbage token", "GET", "/api/v1/events", "nope", 401},
		{"well-formed unknown token", "GET", "/api/v1/events", "evt_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbb", 401},
		{"missing scope", "POST", "/api/v1/events/sound", reader, 403},
		{"not admin", "GET", "/api/v1/keys", reader, 403},
		{"reader may query", "GET", "/api/v1/events", reader, 200},
		{"unknown route", "GET", "/api/v1/nope", reader, 404},
		{"wrong method", "PUT", "/api/v1/keys", admin, 405},
		{"healthz is public", "GET", "/healthz", "", 200},
		{"readyz is public", "GET", "/readyz", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do(tc.method, tc.path, tc.token, "", nil)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.status >= 400 {
				errorCode(t, r)
			}
		})
	}
	// Query tokens are for stream routes only.
	r := h.Do("GET", "/api/v1/events?access_token="+reader, "", "", nil)
	if r.Status != 401 {
		t.Errorf("access_token on a non-stream route: %d", r.Status)
	}
}

func TestKeysLifecycle(t *testing.T) {
	h := servertest.Run(t, nil)
	r := h.Do("POST", "/api/v1/keys", admin, "", map[string]any{"name": "ci", "owner": "acme", "scopes": []string{"events:write", "events:read"}})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var key proto.APIKey
	r.JSON(t, &key)
	if key.Token == "" || key.ID == "" || key.Owner != "acme" {
		t.Fatalf("key %+v", key)
	}
	var list proto.List[proto.APIKey]
	h.Do("GET", "/api/v1/keys", admin, "", nil).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].Token != "" || list.Items[0].ID != key.ID {
		t.Fatalf("list %+v", list)
	}
	if bytes.Contains(h.Do("GET", "/api/v1/keys/"+key.ID, admin, "", nil).Body, []byte(key.Token)) {
		t.Fatal("token shown again")
	}
	if r := h.Do("GET", "/api/v1/events", key.Token, "", nil); r.Status != 200 {
		t.Fatalf("new key rejected: %d", r.Status)
	}
	if r := h.Do("DELETE", "/api/v1/keys/"+key.ID, admin, "", nil); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := h.Do("GET", "/api/v1/events", key.Token, "", nil); r.Status != 401 {
		t.Fatalf("revoked key accepted: %d", r.Status)
	}
	if r := h.Do("DELETE", "/api/v1/keys/"+key.ID, admin, "", nil); r.Status != 404 {
		t.Fatalf("second revoke: %d", r.Status)
	}
	for _, body := range []string{
		`{"name":"x","owner":"a","scopes":["root"]}`,
		`{"name":"","owner":"a","scopes":["admin"]}`,
		`{"name":"x","owner":"a","scopes":[]}`,
		`{"name":"x","owner":"a","scopes":["admin"],"colour":"red"}`,
		`{"name":"x","owner":"a","scopes":["admin"],"expires_at":"2001-01-01T00:00:00Z"}`,
	} {
		if r := h.Do("POST", "/api/v1/keys", admin, "", body); r.Status != 400 {
			t.Errorf("%s: %d %s", body, r.Status, r.Body)
		}
	}
}

func TestQueryFiltersPagingAndTenancy(t *testing.T) {
	h := servertest.Run(t, nil)
	acme := h.NewKey("acme", proto.ScopeEventsWrite, proto.ScopeEventsRead)
	other := h.NewKey("other", proto.ScopeEventsWrite, proto.ScopeEventsRead)

	var nd strings.Builder
	for i := 0; i < 25; i++ {
		nd.Write(soundEvent(t, fmt.Sprintf("q%02d", i)))
		nd.WriteByte('\n')
	}
	if r := h.Do("POST", "/api/v1/events/sound", acme, "application/x-ndjson", nd.String()); r.Status != 202 {
		t.Fatal(r.Status, string(r.Body))
	}
	h.Do("POST", "/api/v1/events/identification", acme, "", seed(t, "identification_websocket.json"))
	h.Do("POST", "/api/v1/events/sound", other, "", soundEvent(t, "other-1"))

	// Page through acme's sound events 10 at a time.
	var ids []string
	after := ""
	for pages := 0; ; pages++ {
		var page proto.EventPage
		h.Do("GET", "/api/v1/events?family=sound&limit=10"+after, acme, "", nil).JSON(t, &page)
		for _, it := range page.Items {
			var ev struct{ ID string }
			_ = json.Unmarshal(it.Event, &ev)
			ids = append(ids, ev.ID)
		}
		if page.NextCursor == "" {
			break
		}
		after = "&after=" + page.NextCursor
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if len(ids) != 25 || ids[0] != "q00" || ids[24] != "q24" {
		t.Fatalf("paged ids %v", ids)
	}

	count := func(token, q string) int {
		var page proto.EventPage
		r := h.Do("GET", "/api/v1/events?limit=1000&"+q, token, "", nil)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", q, r.Status, r.Body)
		}
		r.JSON(t, &page)
		return len(page.Items)
	}
	for _, tc := range []struct {
		token, q string
		want     int
	}{
		{acme, "", 26},
		{other, "", 1},
		{admin, "", 27},
		{admin, "owner=other", 1},
		{acme, "device_id=mic_001", 25},
		{acme, "agent_id=a593c1be-d13e-4244-8179-1df0a6b725f7", 1},
		{acme, "event_type=identification", 1},
		{acme, "event_type=normal_speech_female&family=sound", 25},
		{acme, "since=2000-01-01T00:00:00Z", 26},
		{acme, "until=2000-01-01T00:00:00Z", 0},
		{acme, "since=2999-01-01T00:00:00Z", 0},
	} {
		if got := count(tc.token, tc.q); got != tc.want {
			t.Errorf("%q: %d events, want %d", tc.q, got, tc.want)
		}
	}
	for _, q := range []string{"after=abc", "after=0", "limit=0", "limit=5000", "since=yesterday", "family=video", "colour=red"} {
		if r := h.Do("GET", "/api/v1/events?"+q, acme, "", nil); r.Status != 400 {
			t.Errorf("%q: %d %s", q, r.Status, r.Body)
		}
	}
	if r := h.Do("GET", "/api/v1/events?owner=other", acme, "", nil); r.Status != 403 {
		t.Errorf("cross-tenant query: %d", r.Status)
	}
}

func TestMetricsExposeIngest(t *testing.T) {
	h := servertest.Run(t, nil)
	w := h.NewKey("acme", proto.ScopeEventsWrite)
	h.Do("POST", "/api/v1/events/sound", w, "", seed(t, "sound_event.json"))
	body := string(h.Do("GET", "/metrics", "", "", nil).Body)
	for _, want := range []string{
		`evtctl_ingest_events_total{family="sound",result="accepted"} 1`,
		`evtctl_ingest_duration_seconds_count{family="sound"} 1`,
		`evtctl_log_messages 1`,
		`evtctl_jetstream_up 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, w) {
		t.Error("a token appears in metrics")
	}
}

// TestIngestCompactsLargeBatches: records with whitespace are compacted
// into shared chunks of the request; a batch that spans many chunks must
// store every record exactly as its compact form, none overwritten by the
// next.
func TestIngestCompactsLargeBatches(t *testing.T) {
	h := servertest.Run(t, nil)
	w := h.NewKey("acme", proto.ScopeEventsWrite, proto.ScopeEventsRead)
	const n = 300 // ~1.5 KB each when indented: several 64 KiB chunks
	var arr bytes.Buffer
	want := map[string]string{}
	arr.WriteString("[\n")
	for i := range n {
		id := fmt.Sprintf("big-%03d", i)
		var pretty, compact bytes.Buffer
		if err := json.Indent(&pretty, []byte(soundEvent(t, id)), "", "    "); err != nil {
			t.Fatal(err)
		}
		_ = json.Compact(&compact, pretty.Bytes())
		want[id] = compact.String()
		if i > 0 {
			arr.WriteString(",\n")
		}
		arr.Write(pretty.Bytes())
	}
	arr.WriteString("\n]")
	if r := h.Do("POST", "/api/v1/events/sound", w, "application/json", arr.String()); r.Status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", r.Status, r.Body)
	}
	var page proto.EventPage
	h.Do("GET", "/api/v1/events?limit=1000", w, "", nil).JSON(t, &page)
	if len(page.Items) != n {
		t.Fatalf("query: %d items, want %d", len(page.Items), n)
	}
	for i, it := range page.Items {
		id := fmt.Sprintf("big-%03d", i) // stored in the order of the array
		if got := string(it.Event); got != want[id] {
			t.Fatalf("event %d stored as\n%s\nwant\n%s", i, got, want[id])
		}
	}
}
