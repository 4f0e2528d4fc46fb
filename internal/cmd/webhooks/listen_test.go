package webhooks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmd/serve"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/internal/webhook/signing"
	"github.com/evtctl/evtctl/pkg/proto"
)

// gateway starts a real gateway whose webhooks may reach loopback (the
// listener), with short retries.
func gateway(t *testing.T) *servertest.Harness {
	return servertest.Run(t, serve.Components, func(c *config.Config) {
		c.Webhooks.AllowCIDRs = []string{"127.0.0.0/8"}
		c.Webhooks.RetrySchedule = []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, time.Hour}
		c.Webhooks.Jitter = 0
	})
}

// createWebhook creates a webhook endpoint and returns it with its secret.
func createWebhook(t *testing.T, h *servertest.Harness, url string) proto.Endpoint {
	t.Helper()
	r := h.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "dev", "type": "webhook", "url": url})
	if r.Status != http.StatusCreated {
		t.Fatalf("create endpoint: %d %s", r.Status, r.Body)
	}
	var ep proto.Endpoint
	r.JSON(t, &ep)
	return ep
}

func pointAt(t *testing.T, h *servertest.Harness, id, url string) {
	t.Helper()
	if r := h.Do("PATCH", "/api/v1/endpoints/"+id, servertest.AdminToken, "", map[string]any{"url": url}); r.Status != http.StatusOK {
		t.Fatalf("point endpoint at %s: %d %s", url, r.Status, r.Body)
	}
}

func ingest(t *testing.T, h *servertest.Harness, ids ...string) {
	t.Helper()
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, `{"id":%q,"created_at":"2026-03-26T09:00:00Z","label_id":"dog_bark","mic_id":"mic_1","confidence":0.9}`+"\n", id)
	}
	if r := h.Do("POST", "/api/v1/events/sound", servertest.AdminToken, "application/x-ndjson", b.String()); r.Status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", r.Status, r.Body)
	}
}

// listening is a `webhooks listen` running in-process.
type listening struct {
	URL         string
	out, errOut *cmdtest.SyncBuffer
	done        chan error
}

var listenLine = regexp.MustCompile(`listening on (http://[^ ,]+/)`)

// startListen runs `evtctl webhooks listen args…` against gateway h until
// the test ends, and waits for its address.
func startListen(t *testing.T, h *servertest.Harness, args ...string) *listening {
	t.Helper()
	f, out, errOut := cmdtest.LiveFactory(h.URL, servertest.AdminToken, "")
	cmd := newCmdListen(f)
	ctx, cancel := context.WithCancel(context.Background())
	cmd.SetContext(ctx)
	l := &listening{out: out, errOut: errOut, done: make(chan error, 1)}
	go func() { l.done <- cmdtest.Run(cmd, append([]string{"--port", "0"}, args...)...) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-l.done:
			if err != nil {
				t.Errorf("listen: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("listen did not stop")
		}
	})
	testkit.Eventually(t, 10*time.Second, "the listener's address", func() bool {
		select {
		case err := <-l.done:
			l.done <- err
			t.Fatalf("listen stopped: %v; stderr %q", err, errOut)
		default:
		}
		m := listenLine.FindStringSubmatch(errOut.String())
		if m != nil {
			l.URL = m[1]
		}
		return m != nil
	})
	return l
}

// records decodes the JSON lines printed so far.
func (l *listening) records(t *testing.T) []Record {
	t.Helper()
	var recs []Record
	sc := bufio.NewScanner(strings.NewReader(l.out.String()))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("stdout line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

func (l *listening) waitRecords(t *testing.T, n int) []Record {
	t.Helper()
	testkit.Eventually(t, 20*time.Second, fmt.Sprintf("%d records printed", n), func() bool { return len(l.records(t)) >= n })
	return l.records(t)
}

// captured is one request the forward target received.
type captured struct {
	header http.Header
	body   []byte
}

// target is the application --forward-to passes requests on to.
type target struct {
	*httptest.Server
	mu   sync.Mutex
	got  []captured
	code int
}

func newTarget(t *testing.T, code int) *target {
	tg := &target{code: code}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		tg.mu.Lock()
		tg.got = append(tg.got, captured{r.Header.Clone(), body})
		tg.mu.Unlock()
		w.WriteHeader(tg.code)
	}))
	t.Cleanup(tg.Close)
	return tg
}

func (tg *target) requests() []captured {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]captured(nil), tg.got...)
}

// The gateway's real deliveries reach the listener, which verifies them
// with the endpoint's secret fetched from the gateway, answers 204 (the
// gateway records the deliveries as succeeded), prints one JSON line each
// and forwards them, headers and body unchanged, to the application.
func TestListenVerifiesAndForwardsGatewayDeliveries(t *testing.T) {
	h := gateway(t)
	app := newTarget(t, http.StatusAccepted)
	ep := createWebhook(t, h, "http://127.0.0.1:1/not-yet")
	saveDir := t.TempDir()
	l := startListen(t, h, "--endpoint", ep.ID, "--forward-to", app.URL+"/hooks", "--save", saveDir)
	if !strings.Contains(l.errOut.String(), "verifying with the secret of endpoint "+ep.ID+", forwarding to "+app.URL+"/hooks") {
		t.Errorf("stderr %q", l.errOut)
	}
	pointAt(t, h, ep.ID, l.URL)
	ingest(t, h, "e1", "e2", "e3")

	recs := l.waitRecords(t, 3)
	seen := map[string]bool{}
	for _, r := range recs {
		if !r.Verified || r.Answer != http.StatusNoContent || r.Family != proto.FamilySound || !strings.HasPrefix(r.WebhookID, "msg_"+ep.ID+"_") {
			t.Errorf("record %+v", r)
		}
		if r.Forward == nil || r.Forward.Status != http.StatusAccepted || r.Forward.URL != app.URL+"/hooks" {
			t.Errorf("forward of %s: %+v", r.WebhookID, r.Forward)
		}
		var ev struct{ ID string }
		_ = json.Unmarshal(r.Event, &ev)
		seen[ev.ID] = true
	}
	if len(recs) != 3 || !seen["e1"] || !seen["e2"] || !seen["e3"] {
		t.Fatalf("records %+v", recs)
	}
	// The application got exactly what the gateway sent, and can verify it.
	fw := app.requests()
	if len(fw) != 3 {
		t.Fatalf("forwarded %d requests", len(fw))
	}
	for _, c := range fw {
		if err := signing.Verify([]string{ep.Secret}, signing.HeadersFrom(c.header), c.body, signing.Options{Tolerance: time.Minute}); err != nil {
			t.Errorf("forwarded request does not verify: %v (%v)", err, c.header)
		}
		if c.header.Get("User-Agent") == "" || c.header.Get("Content-Type") != "application/json" {
			t.Errorf("forwarded headers %v", c.header)
		}
	}
	testkit.Eventually(t, 10*time.Second, "the gateway to record 3 succeeded deliveries", func() bool {
		var page proto.List[proto.Delivery]
		h.Do("GET", "/api/v1/endpoints/"+ep.ID+"/deliveries?status=succeeded", servertest.AdminToken, "", nil).JSON(t, &page)
		return len(page.Items) == 3 && page.Items[0].ResponseStatus == http.StatusNoContent
	})
	if strings.Contains(l.out.String(), "\x1b") {
		t.Error("escape sequences in piped output")
	}

	// Tampered and hostile requests are rejected with a 4xx, printed as
	// rejected, and not forwarded.
	good := fw[0]
	long := strings.Repeat("é*?%00\xff", 1000)
	cases := []struct {
		name   string
		method string
		header http.Header
		body   []byte
		want   int
		reason string
	}{
		{"tampered body", "POST", good.header, append(bytes.Clone(good.body), ' '), 401, "no signature matches"},
		{"timestamp far off", "POST", with(good.header, signing.HeaderTimestamp, strconv.FormatInt(time.Now().Unix(), 10)+"0"), good.body, 401, "outside the tolerance"},
		{"signature of another secret", "POST", with(good.header, signing.HeaderSignature, signing.Sign([]string{"whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD"}, good.header.Get(signing.HeaderID), mustAtoi(good.header.Get(signing.HeaderTimestamp)), good.body)), good.body, 401, "no signature matches"},
		{"no headers", "POST", http.Header{}, good.body, 400, "webhook-id"},
		{"hostile headers", "POST", with(with(good.header, signing.HeaderID, long), signing.HeaderSignature, "v1,"+long), []byte("\xff\xfe" + long), 400, "malformed"},
		{"non-UTF-8 body", "POST", good.header, []byte("\xff\xfe" + long), 401, "no signature matches"},
		{"huge body", "POST", good.header, bytes.Repeat([]byte("x"), DefaultMaxBody+1), 413, "larger than"},
		{"GET", "GET", good.header, nil, 405, "POST"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, l.URL, bytes.NewReader(c.body))
		req.Header = c.header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || !strings.Contains(string(msg), c.reason) {
			t.Errorf("%s: answered %d %q, want %d %q", c.name, resp.StatusCode, msg, c.want, c.reason)
		}
	}
	recs = l.waitRecords(t, 3+len(cases))
	for i, c := range cases {
		r := recs[3+i]
		if r.Verified || r.Answer != c.want || !strings.Contains(r.Reason, c.reason) || r.Forward != nil || r.Event != nil {
			t.Errorf("%s: record %+v", c.name, r)
		}
		if len(r.WebhookID) > clipLen+32 {
			t.Errorf("%s: webhook_id of %d bytes printed", c.name, len(r.WebhookID))
		}
	}
	if n := len(app.requests()); n != 3 {
		t.Errorf("%d requests forwarded, want the 3 verified ones", n)
	}

	// --save kept every request read in full; `webhooks verify` finds the
	// gateway's valid and the tampered one not (exit 1).
	for i, want := range map[int]int{0: cmdutil.ExitOK, 3: cmdutil.ExitFailure, 8: cmdutil.ExitFailure} {
		saved := recs[i].Saved
		if !strings.HasPrefix(saved, saveDir) {
			t.Fatalf("record %d saved at %q", i, saved)
		}
		f, s := cmdtest.Factory("", "")
		err := cmdtest.Run(newCmdVerify(f), saved+".body", "--headers", saved+".headers", "--secret", ep.Secret)
		if code := cmdutil.ExitCode(err); code != want {
			t.Errorf("verify %s: exit %d (%v), want %d", saved, code, err, want)
		}
		if want == cmdutil.ExitOK && !strings.HasPrefix(s.Out.String(), "valid: ") {
			t.Errorf("verify %s: stdout %q", saved, s.Out)
		}
	}
	if recs[3+6].Saved != "" { // the huge body was not read in full
		t.Errorf("the 413 request was saved: %q", recs[3+6].Saved)
	}
}

func with(h http.Header, k, v string) http.Header {
	h = h.Clone()
	h.Set(k, v)
	return h
}

func mustAtoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// A listener holding the wrong secret answers 401; the gateway records the
// failed attempt with that status and retries on its schedule, and the
// retry verifies once the listener has the right secret. --count ends the
// listener after that many verified requests.
func TestListenRejectionIsRetriedByTheGateway(t *testing.T) {
	h := gateway(t)
	ep := createWebhook(t, h, "http://127.0.0.1:1/not-yet")
	wrong := startListen(t, h, "--secret", "whsec_"+"QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD")
	pointAt(t, h, ep.ID, wrong.URL)
	ingest(t, h, "r1")
	recs := wrong.waitRecords(t, 2) // the first attempt and the first retry
	for _, r := range recs {
		if r.Verified || r.Answer != http.StatusUnauthorized || r.Reason != "no signature matches" {
			t.Errorf("record %+v", r)
		}
	}
	if recs[0].WebhookID != recs[1].WebhookID {
		t.Errorf("retry has another webhook-id: %q, %q", recs[0].WebhookID, recs[1].WebhookID)
	}
	var page proto.List[proto.Delivery]
	h.Do("GET", "/api/v1/endpoints/"+ep.ID+"/deliveries", servertest.AdminToken, "", nil).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ResponseStatus != http.StatusUnauthorized || page.Items[0].Status != "pending" {
		t.Fatalf("deliveries %+v", page.Items)
	}

	// The right secret, as a developer would pass it: from the environment.
	f, out, errOut := cmdtest.LiveFactory(h.URL, servertest.AdminToken, "")
	f.Getenv = func(k string) string {
		if k == SecretEnv {
			return ep.Secret
		}
		return ""
	}
	cmd := newCmdListen(f)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // only when the test fails before -n 1 ends it
	cmd.SetContext(ctx)
	done := make(chan error, 1)
	go func() { done <- cmdtest.Run(cmd, "--port", "0", "-n", "1") }()
	testkit.Eventually(t, 10*time.Second, "the second listener's address", func() bool { return listenLine.MatchString(errOut.String()) })
	if !strings.Contains(errOut.String(), "verifying with the secret of $"+SecretEnv) {
		t.Errorf("stderr %q", errOut)
	}
	// The endpoint was at its last retry (an hour away): retry it by hand.
	pointAt(t, h, ep.ID, listenLine.FindStringSubmatch(errOut.String())[1])
	if r := h.Do("POST", "/api/v1/endpoints/"+ep.ID+"/replay", servertest.AdminToken, "", map[string]any{"since": time.Now().Add(-time.Hour).Format(time.RFC3339)}); r.Status != http.StatusAccepted {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("listen -n 1: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("listen -n 1 did not end after a verified request")
	}
	var r Record
	if err := json.Unmarshal(bytes.TrimSpace([]byte(out.String())), &r); err != nil || !r.Verified || r.WebhookID != recs[0].WebhookID {
		t.Fatalf("stdout %q: %v", out, err)
	}
}

// Flag mistakes are usage errors (exit 2) with a sentence, before anything
// listens or any request is sent.
func TestListenFlagErrors(t *testing.T) {
	long := strings.Repeat("é*?", 1700) + "\xff"
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "give --endpoint ID or --secret"},
		{[]string{"--secret", "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD", "--endpoint", "ep"}, "not both"},
		{[]string{"--secret", "nope"}, `invalid --secret: must start with "whsec_"`},
		{[]string{"--secret", long}, "invalid --secret"},
		{[]string{"--secret", "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD", "--listen", "0.0.0.0:8200"}, "not a loopback address"},
		{[]string{"--secret", "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD", "--listen", ":8200"}, "not a loopback address"},
		{[]string{"--secret", "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD", "--listen", long}, "want host:port"},
		{[]string{"--secret", "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD", "--port", "1", "--listen", "127.0.0.1:1"}, "not both"},
		{[]string{"--secret", "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD", "--port", "70000"}, "invalid --port"},
		{[]string{"--secret", "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD", "--forward-to", "ftp://x"}, "invalid --forward-to"},
		{[]string{"--secret", "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD", "--forward-to", long}, "invalid --forward-to"},
		{[]string{"--secret", "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD", "--max-body", "0"}, "--max-body must be positive"},
		{[]string{"--secret", "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD", "--tolerance", "-1s"}, "--tolerance"},
	} {
		f, _ := cmdtest.Factory("http://127.0.0.1:1", "t")
		err := cmdtest.Run(newCmdListen(f), c.args...)
		if code := cmdutil.ExitCode(err); code != cmdutil.ExitUsage || !strings.Contains(fmt.Sprint(err), c.want) {
			t.Errorf("%.80q: exit %d, %v; want %q", c.args, code, err, c.want)
		}
		if err != nil && len(err.Error()) > 800 {
			t.Errorf("%.80q: error of %d bytes echoes the value", c.args, len(err.Error()))
		}
	}
	// An unknown endpoint is the gateway's 404: exit 3.
	h := gateway(t)
	f, _ := cmdtest.Factory(h.URL, servertest.AdminToken)
	if code := cmdutil.ExitCode(cmdtest.Run(newCmdListen(f), "--endpoint", "nope")); code != cmdutil.ExitNotFound {
		t.Errorf("unknown endpoint: exit %d", code)
	}
}

// The application's failure is printed, not passed to the gateway: the
// request was verified, so the listener answers 204 either way.
func TestListenForwardFailures(t *testing.T) {
	secret := "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD"
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	for _, c := range []struct {
		name, url string
		status    int
		err       string
	}{
		{"500", newTarget(t, http.StatusInternalServerError).URL, 500, ""},
		{"redirect not followed", newTarget(t, http.StatusFound).URL, 302, ""},
		{"connection refused", downURL, 0, "connection refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, out, errOut := cmdtest.LiveFactory("", "", "")
			ctx, cancel := context.WithCancel(context.Background())
			cmd := newCmdListen(f)
			cmd.SetContext(ctx)
			done := make(chan error, 1)
			go func() { done <- cmdtest.Run(cmd, "--port", "0", "--secret", secret, "--forward-to", c.url, "-n", "1") }()
			t.Cleanup(func() { cancel(); <-done })
			testkit.Eventually(t, 10*time.Second, "the address", func() bool { return listenLine.MatchString(errOut.String()) })
			ts := time.Now().Unix()
			body := `{"id":"f1"}`
			req, _ := http.NewRequest("POST", listenLine.FindStringSubmatch(errOut.String())[1], strings.NewReader(body))
			req.Header.Set(signing.HeaderID, "msg_f1")
			req.Header.Set(signing.HeaderTimestamp, strconv.FormatInt(ts, 10))
			req.Header.Set(signing.HeaderSignature, signing.Sign([]string{secret}, "msg_f1", ts, []byte(body)))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("answer %d", resp.StatusCode)
			}
			testkit.Eventually(t, 10*time.Second, "the record", func() bool { return strings.Contains(out.String(), "\n") })
			var r Record
			if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
				t.Fatal(err)
			}
			if r.Forward == nil || r.Forward.Status != c.status || !strings.Contains(r.Forward.Error, c.err) || (c.err == "" && r.Forward.Error != "") {
				t.Errorf("forward %+v", r.Forward)
			}
		})
	}
}
