package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/internal/testnet"
)

const crashToken = "crash-test-admin"

// startServe runs `evtctl serve --listen addr` with more arguments and
// environment as a child process (killed when the test ends) and waits
// until it is ready. Every process test of this package starts its gateways
// through it.
func startServe(t *testing.T, addr string, args []string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("evtctl", append([]string{"serve", "--listen", addr}, args...)...)
	cmd.Env = append(append(os.Environ(), "EVTCTL_ADMIN_TOKEN="+crashToken, "EVTCTL_LOG_LEVEL=error"), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("evtctl serve %v did not become ready: %s", args, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func batchBody(writer, batch, size int) []byte {
	var b bytes.Buffer
	for i := 0; i < size; i++ {
		fmt.Fprintf(&b, `{"id":"w%d-b%d-%d","created_at":"2026-03-26T09:00:00Z","label_id":"dog_bark","mic_id":"mic_%d","confidence":0.9}`+"\n", writer, batch, i, writer)
	}
	return b.Bytes()
}

func post(addr string, body []byte) (int, error) {
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/events/sound", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+crashToken)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestKill9KeepsEveryAcknowledgedEvent kills `serve` with SIGKILL during a
// sustained ingest, restarts it on the same data directory, and checks
// that every event that got a 202 is queryable and that none is stored
// twice — also after the client re-sends the batches whose answer it lost.
func TestKill9KeepsEveryAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	dir := t.TempDir()
	addr := testnet.Addr(t)
	srv := startServe(t, addr, []string{"--data", dir})

	const writers, size = 4, 50
	var mu sync.Mutex
	acked := map[string]bool{}   // batch key → got 202
	unknown := map[string]bool{} // sent, answer lost
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("%d/%d", w, b)
				status, err := post(addr, batchBody(w, b, size))
				mu.Lock()
				if err == nil && status == 202 {
					acked[key] = true
				} else {
					unknown[key] = true
				}
				mu.Unlock()
				if err != nil {
					return // the server is gone
				}
			}
		}(w)
	}
	// Kill in the middle of the load: after a while, and not before some
	// batches were acknowledged (a loaded machine may take longer).
	time.Sleep(1500 * time.Millisecond)
	testkit.Eventually(t, 30*time.Second, "batches acknowledged before the kill", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= writers
	})
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no batch was acknowledged before the kill")
	}

	startServe(t, addr, []string{"--data", dir})
	events := queryAll(t, addr)
	for key := range acked {
		var w, b int
		fmt.Sscanf(key, "%d/%d", &w, &b)
		for i := 0; i < size; i++ {
			id := fmt.Sprintf("w%d-b%d-%d", w, b, i)
			if events[id] != 1 {
				t.Fatalf("acknowledged event %s stored %d times", id, events[id])
			}
		}
	}
	for id, n := range events {
		if n != 1 {
			t.Fatalf("event %s stored %d times", id, n)
		}
	}
	// The client retries what it does not know about: duplicates are
	// recognised, nothing is stored twice.
	for key := range unknown {
		var w, b int
		fmt.Sscanf(key, "%d/%d", &w, &b)
		if status, err := post(addr, batchBody(w, b, size)); err != nil || status != 202 {
			t.Fatalf("retry %s: %d %v", key, status, err)
		}
	}
	events = queryAll(t, addr)
	want := (len(acked) + len(unknown)) * size
	if len(events) != want {
		t.Fatalf("%d distinct events after retries, want %d", len(events), want)
	}
	for id, n := range events {
		if n != 1 {
			t.Fatalf("event %s stored %d times after retries", id, n)
		}
	}
	t.Logf("%d batches acknowledged before SIGKILL, %d in flight", len(acked), len(unknown))
}

// queryAll pages through every event and counts ids.
func queryAll(t *testing.T, addr string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	after := ""
	for {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/events?limit=1000"+after, nil)
		req.Header.Set("Authorization", "Bearer "+crashToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Items []struct {
				Event struct{ ID string }
			}
			NextCursor string `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			counts[it.Event.ID]++
		}
		if page.NextCursor == "" {
			return counts
		}
		after = "&after=" + page.NextCursor
		if strings.Contains(after, " ") {
			t.Fatal("bad cursor")
		}
	}
}
