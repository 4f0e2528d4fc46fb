package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/testnet"
)

// crashReceiver is a webhook receiver that verifies every Standard
// Webhooks signature on its own (no evtctl code) and remembers, per event,
// each request's webhook-id and when it was answered 2xx.
type crashReceiver struct {
	mu        sync.Mutex
	secret    string
	badSig    int
	ids       map[string]map[string]bool // event id → webhook-ids seen
	successes map[string][]time.Time     // event id → arrival times of the requests answered 2xx
	failed    map[string]bool            // event ids whose first attempt got a 500
}

func (rc *crashReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// When the request arrived, not when it was answered: an attempt sent
	// just before the kill is answered after it, and is still one that
	// was in flight at the kill.
	arrived := time.Now()
	body, _ := io.ReadAll(r.Body)
	var ev struct{ ID string }
	_ = json.Unmarshal(body, &ev)
	id, ts, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	time.Sleep(5 * time.Millisecond) // slow enough that the kill finds attempts in flight
	rc.mu.Lock()
	defer rc.mu.Unlock()
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(rc.secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !strings.Contains(" "+sig+" ", " "+want+" ") {
		rc.badSig++
	}
	if rc.ids[ev.ID] == nil {
		rc.ids[ev.ID] = map[string]bool{}
	}
	rc.ids[ev.ID][id] = true
	// Every 7th event fails its first attempt, so retries straddle the kill.
	var n int
	fmt.Sscanf(ev.ID, "wh-%d", &n)
	if n%7 == 0 && !rc.failed[ev.ID] {
		rc.failed[ev.ID] = true
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	rc.successes[ev.ID] = append(rc.successes[ev.ID], arrived)
	w.WriteHeader(http.StatusOK)
}

func adminPost(t *testing.T, addr, path, contentType string, body []byte) []byte {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+addr+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+crashToken)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
	}
	return out
}

// TestKill9DeliversEveryWebhook kills `serve` with SIGKILL while webhook
// attempts are in flight and retries are scheduled, restarts it on the same
// data directory, and checks that every accepted event reaches the receiver
// with a 2xx at least once, that an event is answered 2xx twice only if its
// first success was before the kill (an attempt in flight whose
// acknowledgement died with the process), and that each event keeps one
// webhook-id across attempts, retries and the restart.
func TestKill9DeliversEveryWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	rc := &crashReceiver{ids: map[string]map[string]bool{}, successes: map[string][]time.Time{}, failed: map[string]bool{}}
	recv := httptest.NewServer(rc)
	defer recv.Close()

	env := []string{
		"EVTCTL_WEBHOOKS_ALLOW_CIDRS=127.0.0.0/8",
		"EVTCTL_WEBHOOKS_RETRY_SCHEDULE=300ms,600ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s",
		// Neither timeouts nor the breaker are what this test is about: on
		// a loaded machine (the race detector, other packages' tests) a
		// few attempts in a row can time out, and an open breaker would
		// pause deliveries for its 30 s cooldown before the kill.
		"EVTCTL_WEBHOOKS_TIMEOUT=5s",
		"EVTCTL_WEBHOOKS_BREAKER_FAILURES=1000000",
	}
	dir := t.TempDir()
	addr := testnet.Addr(t)
	srv := startServe(t, addr, []string{"--data", dir}, env...)

	var ep struct{ ID, Secret string }
	out := adminPost(t, addr, "/api/v1/endpoints", "application/json", []byte(`{"name":"crash","type":"webhook","url":"`+recv.URL+`/hook"}`))
	if err := json.Unmarshal(out, &ep); err != nil || ep.Secret == "" {
		t.Fatalf("endpoint: %s", out)
	}
	rc.mu.Lock()
	rc.secret = ep.Secret
	rc.mu.Unlock()

	const n = 1500
	for b := 0; b < n; b += 100 {
		var body bytes.Buffer
		for i := b; i < b+100; i++ {
			fmt.Fprintf(&body, `{"id":"wh-%d","created_at":"2026-03-26T09:00:00Z","label_id":"dog_bark","mic_id":"mic_1","confidence":0.9}`+"\n", i)
		}
		adminPost(t, addr, "/api/v1/events/sound", "application/x-ndjson", body.Bytes())
	}
	// Kill once a part of the events is delivered.
	deadline := time.Now().Add(60 * time.Second)
	for {
		rc.mu.Lock()
		got := len(rc.successes)
		rc.mu.Unlock()
		if got >= n/4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d events delivered before the kill", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()
	killed := time.Now()
	rc.mu.Lock()
	atKill := len(rc.successes)
	rc.mu.Unlock()

	startServe(t, addr, []string{"--data", dir}, env...)
	deadline = time.Now().Add(90 * time.Second)
	for {
		rc.mu.Lock()
		got := len(rc.successes)
		rc.mu.Unlock()
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events delivered 90s after the restart", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let stray duplicates arrive before counting them

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.badSig > 0 {
		t.Fatalf("%d requests failed signature verification", rc.badSig)
	}
	dups := 0
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("wh-%d", i)
		if len(rc.ids[id]) != 1 {
			t.Fatalf("event %s arrived with %d different webhook-ids", id, len(rc.ids[id]))
		}
		succ := rc.successes[id]
		if len(succ) > 1 {
			dups++
			if !succ[0].Before(killed) {
				t.Fatalf("event %s answered 2xx %d times, first after the restart", id, len(succ))
			}
		}
	}
	retried := len(rc.failed)
	t.Logf("%d events delivered before SIGKILL, %d duplicates (in flight at the kill), %d events retried after a 500", atKill, dups, retried)
	if dups > 48 {
		t.Fatalf("%d duplicates; at most the attempts in flight (concurrency 16 + prefetch 32) may repeat", dups)
	}
}
