package webhooks_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/root"
	"github.com/evtctl/evtctl/internal/cmd/serve"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/iostreams"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/pkg/proto"
)

// saved is a delivery of the gateway as a receiver would save it: the body
// byte for byte, and the headers the way curl -D writes them.
type saved struct {
	ep                  proto.Endpoint
	body, headers, dir  string
	id, timestamp, sign string
}

// realDelivery has a real gateway deliver one event to a receiver that
// saves it to files.
func realDelivery(t *testing.T) (*servertest.Harness, saved) {
	h := servertest.Run(t, serve.Components, func(c *config.Config) { c.Webhooks.AllowCIDRs = []string{"127.0.0.0/8"} })
	var mu sync.Mutex
	var got *http.Request
	var body []byte
	rx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, body = r, b
		mu.Unlock()
	}))
	t.Cleanup(rx.Close)
	r := h.Do("POST", "/api/v1/endpoints", servertest.AdminToken, "", map[string]any{"name": "rx", "type": "webhook", "url": rx.URL})
	var ep proto.Endpoint
	r.JSON(t, &ep)
	r = h.Do("POST", "/api/v1/events/sound", servertest.AdminToken, "", `{"id":"v1","created_at":"2026-03-26T09:00:00Z","label_id":"glass_break","mic_id":"mic_1","confidence":0.8}`)
	if r.Status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 20*time.Second, "the delivery", func() bool { mu.Lock(); defer mu.Unlock(); return got != nil })
	mu.Lock()
	defer mu.Unlock()
	s := saved{ep: ep, dir: t.TempDir(), id: got.Header.Get("webhook-id"), timestamp: got.Header.Get("webhook-timestamp"), sign: got.Header.Get("webhook-signature")}
	s.body = filepath.Join(s.dir, "body.json")
	s.headers = filepath.Join(s.dir, "headers.txt")
	var hb strings.Builder
	fmt.Fprintf(&hb, "POST / HTTP/1.1\r\n")
	for k, v := range got.Header {
		fmt.Fprintf(&hb, "%s: %s\r\n", k, v[0])
	}
	hb.WriteString("\r\n")
	write(t, s.headers, hb.String())
	write(t, s.body, string(body))
	return h, s
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// run runs the evtctl command line as main does: exit code, stdout, stderr.
func run(stdin string, args ...string) (int, string, string) {
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	code := root.Main(ios, args)
	return code, out.String(), errOut.String()
}

// A saved real delivery verifies (exit 0) with the endpoint's secret,
// given or fetched; changed in any way it does not (exit 1, one sentence
// on stderr); mistakes of usage are exit 2.
func TestVerifySavedDelivery(t *testing.T) {
	h, s := realDelivery(t)
	other := "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD"
	tampered := filepath.Join(s.dir, "tampered.json")
	body, _ := os.ReadFile(s.body)
	write(t, tampered, strings.Replace(string(body), "glass_break", "glass_brake", 1))
	long := strings.Repeat("é*?%00\xff", 1000)
	hostile := filepath.Join(s.dir, "hostile.txt")
	write(t, hostile, "webhook-id: "+long+"\nwebhook-timestamp: "+s.timestamp+"\nwebhook-signature: v1,"+long+"\n"+long+"\n")
	gw := []string{"--server", h.URL, "--token", servertest.AdminToken}
	hdr := []string{"-H", "webhook-id: " + s.id, "-H", "webhook-timestamp: " + s.timestamp, "-H", "webhook-signature: " + s.sign}

	for _, c := range []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"saved files", "", []string{s.body, "--headers", s.headers, "--secret", s.ep.Secret}, 0, "valid: the signature of webhook-id " + s.id, ""},
		{"endpoint's secret from the gateway", "", append([]string{s.body, "--headers", s.headers, "--endpoint", s.ep.ID}, gw...), 0, "valid", ""},
		{"body on stdin, -H", string(body), append([]string{"-", "--secret", other, "--secret", s.ep.Secret}, hdr...), 0, "valid", ""},
		{"tolerance met", "", []string{s.body, "--headers", s.headers, "--secret", s.ep.Secret, "--tolerance", "1h"}, 0, "valid", ""},
		{"tampered body", "", []string{tampered, "--headers", s.headers, "--secret", s.ep.Secret}, 1, "", "evtctl: not valid: no signature matches.\n"},
		{"body with a newline added", string(body) + "\n", append([]string{"--secret", s.ep.Secret}, hdr...), 1, "", "not valid: no signature matches"},
		{"another secret", "", []string{s.body, "--headers", s.headers, "--secret", other}, 1, "", "not valid: no signature matches"},
		{"timestamp too old", "", []string{s.body, "--secret", s.ep.Secret, "-H", "webhook-id: " + s.id, "-H", "webhook-timestamp: 1614265330", "-H", "webhook-signature: " + s.sign, "--tolerance", "5m"}, 1, "", "not valid: the timestamp is outside the tolerance"},
		{"header missing", "", []string{s.body, "--secret", s.ep.Secret, "-H", "webhook-id: " + s.id}, 1, "", "not valid: a Standard Webhooks header is missing: webhook-timestamp"},
		{"hostile headers", "", []string{s.body, "--headers", hostile, "--secret", s.ep.Secret}, 1, "", "not valid: a Standard Webhooks header is malformed"},
		{"no headers", "", []string{s.body, "--secret", s.ep.Secret}, 2, "", "give the request's headers"},
		{"no secret", "", append([]string{s.body}, hdr...), 2, "", "give --endpoint ID or --secret"},
		{"bad secret", "", append([]string{s.body, "--secret", long}, hdr...), 2, "", "invalid --secret"},
		{"missing body file", "", append([]string{filepath.Join(s.dir, "nope"), "--secret", s.ep.Secret}, hdr...), 2, "", "cannot read the body"},
		{"bad -H", "", []string{s.body, "--secret", s.ep.Secret, "-H", long}, 2, "", "invalid header"},
		{"unknown endpoint", "", append(append([]string{s.body, "--endpoint", "nope"}, hdr...), gw...), 3, "", `No endpoint with id "nope"`},
		{"two files", "", []string{s.body, s.body, "--secret", s.ep.Secret}, 2, "", "accepts at most 1 arg"},
	} {
		code, stdout, stderr := run(c.stdin, append([]string{"webhooks", "verify"}, c.args...)...)
		if code != c.code || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) || (c.code != 0 && stdout != "") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %q, %q", c.name, code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
		if len(stderr) > 1000 {
			t.Errorf("%s: stderr of %d bytes echoes a hostile value", c.name, len(stderr))
		}
		if code == cmdutil.ExitFailure && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: more than a sentence on stderr: %q", c.name, stderr)
		}
	}
}
