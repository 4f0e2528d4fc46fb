package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evtctl/evtctl/internal/testnet"
)

// waitReady polls base/readyz until it answers 200.
func waitReady(t *testing.T, srv *served, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-srv.done:
			t.Fatalf("serve exited: %v\n%s", srv.err, srv.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready\n%s", srv.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor polls until stderr contains s.
func (s *served) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.stderr.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr has no %q:\n%s", want, s.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// `serve --demo` on a fresh data directory, stderr not a terminal: the
// bootstrap key is in data/admin-key (0600), stderr names the file and not
// the token, and every stream shows data at once: composites on the
// composite WebSocket (the demo rule), analysis of several devices over
// SSE, identifications in the log. The next steps are printed.
func TestServeDemoShowsEveryStream(t *testing.T) {
	addr := testnet.Addr(t)
	data := t.TempDir()
	srv := runServe(t, "--listen", addr, "--data", data, "--demo", "--demo-rate", "40", "--name", "edge-01")
	base := "http://" + addr
	waitReady(t, srv, base)
	srv.waitFor(t, "evtctl tail composites analysis --server "+base)

	keyFile := filepath.Join(data, AdminKeyFile)
	st, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("admin key file: %v\n%s", err, srv.stderr)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("admin key file mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(keyFile)
	token := strings.TrimSpace(string(b))
	if !strings.HasPrefix(token, "evt_") {
		t.Fatalf("admin key file holds %q", b)
	}
	out := srv.stderr.String()
	if strings.Contains(out, token) {
		t.Errorf("the token was printed on a stderr that is not a terminal:\n%s", out)
	}
	if !strings.Contains(out, "export EVTCTL_TOKEN=$(cat "+keyFile+")") {
		t.Errorf("stderr does not say where the key is:\n%s", out)
	}
	for _, want := range []string{"demo: about 40 events/s of every family", "wscat -c ws://" + addr + "/api/v1/ws/composite-events", "curl -N -H \"Authorization: Bearer $EVTCTL_TOKEN\" " + base + "/api/v1/devices/analysis/stream/all"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr has no %q:\n%s", want, out)
		}
	}

	// Composites on the composite WebSocket.
	h := http.Header{"Authorization": {"Bearer " + token}}
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/api/v1/ws/composite-events", h)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(45 * time.Second))
	for {
		_, m, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("no composite: %v", err)
		}
		if len(m) > 0 && string(m) != "hello" {
			var comp struct {
				Rule struct{ ID string } `json:"rule"`
			}
			if err := json.Unmarshal(m, &comp); err != nil || comp.Rule.ID != "demo_bursts" {
				t.Fatalf("composite %s: %v", m, err)
			}
			break
		}
	}

	// Analysis of several devices over SSE.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/devices/analysis/stream/all", nil)
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	devices := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for len(devices) < 2 && sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var ev struct{ DeviceID string }
			if json.Unmarshal([]byte(d), &ev) == nil && ev.DeviceID != "" {
				devices[ev.DeviceID] = true
			}
		}
	}
	if len(devices) < 2 {
		t.Fatalf("analysis of %d devices: %v", len(devices), sc.Err())
	}
	cancel()

	// Identifications in the log.
	deadline := time.Now().Add(20 * time.Second)
	for {
		qreq, _ := http.NewRequest("GET", base+"/api/v1/events?family=identification&limit=1", nil)
		qreq.Header = h
		qresp, err := http.DefaultClient.Do(qreq)
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Items []json.RawMessage }
		_ = json.NewDecoder(qresp.Body).Decode(&page)
		qresp.Body.Close()
		if len(page.Items) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no identification")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// On a terminal the bootstrap key is printed as a block with the export
// line and the file; a restart on the same data creates no key and prints
// none.
func TestBootstrapKeyOnTerminal(t *testing.T) {
	addr := testnet.Addr(t)
	data := t.TempDir()
	srv := runServeIO(t, true, "--listen", addr, "--data", data)
	waitReady(t, srv, "http://"+addr)
	srv.waitFor(t, "listening on")
	b, err := os.ReadFile(filepath.Join(data, AdminKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(b))
	out := srv.stderr.String()
	for _, want := range []string{"========\n  No API key existed", "\n    export EVTCTL_TOKEN=" + token + "\n", "It is also in " + filepath.Join(data, AdminKeyFile)} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr has no %q:\n%s", want, out)
		}
	}
}

func TestReachable(t *testing.T) {
	for in, want := range map[string]string{
		"http://[::]:8100":       "http://127.0.0.1:8100",
		"http://0.0.0.0:8100":    "http://127.0.0.1:8100",
		"https://10.0.0.5:8443":  "https://10.0.0.5:8443",
		"http://127.0.0.1:41234": "http://127.0.0.1:41234",
	} {
		if got := reachable(in); got != want {
			t.Errorf("reachable(%s) = %s, want %s", in, got, want)
		}
	}
}
