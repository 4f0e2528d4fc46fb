package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/evtctl/evtctl/internal/store/storetest"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/internal/testnet"
)

// TestEdgeToCloud runs the edge-to-cloud layout of docs/cluster.md with
// real processes: an edge `evtctl serve` whose embedded server joins the
// cloud as a leaf node, and a cloud `evtctl serve` with
// storage.edge_sources, either on a NATS server of its own or accepting the
// leaf connection itself (storage.leaf_listen). An event ingested on the
// edge is queryable in the cloud; one ingested in the cloud stays there;
// the edge's keys do not work in the cloud.
func TestEdgeToCloud(t *testing.T) {
	if testing.Short() {
		t.Skip("starts gateway processes")
	}
	t.Parallel() // mostly waiting: overlap it with the package's other tests
	t.Run("cloud on a NATS server", func(t *testing.T) {
		leafPort := testnet.Port(t)
		ns := storetest.NATSServer(t, &server.Options{
			ServerName: "cloud", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(),
			LeafNode: server.LeafNodeOpts{Host: "127.0.0.1", Port: leafPort},
		})
		// The edge first, so the cloud's source connects at once.
		_, edge := serveNode(t, "edge-01", nil, fmt.Sprintf("EVTCTL_STORAGE_LEAF_REMOTES=nats-leaf://127.0.0.1:%d", leafPort))
		_, cloud := serveNode(t, "cloud-1", []string{"--nats-url", ns.ClientURL()}, "EVTCTL_STORAGE_EDGE_SOURCES=edge-01")
		checkEdgeToCloud(t, edge, cloud)
	})
	t.Run("cloud with an embedded server", func(t *testing.T) {
		leafPort := testnet.Port(t)
		// The cloud must be up for the edge to join, so its source may start
		// failing; NATS alone would then retry it after 10 s × failures
		// (about 40 s here), the gateway restarts it once the edge answers
		// (checked deterministically by internal/store's leaf test).
		_, cloud := serveNode(t, "cloud-1", nil, fmt.Sprintf("EVTCTL_STORAGE_LEAF_LISTEN=127.0.0.1:%d", leafPort), "EVTCTL_STORAGE_EDGE_SOURCES=edge-01")
		_, edge := serveNode(t, "edge-01", nil, fmt.Sprintf("EVTCTL_STORAGE_LEAF_REMOTES=nats-leaf://127.0.0.1:%d", leafPort))
		checkEdgeToCloud(t, edge, cloud)
	})
}

func checkEdgeToCloud(t *testing.T, edge, cloud string) {
	t.Helper()
	// A tenant key on the edge, used by the edge's producers.
	s, body := do(t, "POST", "http://"+edge+"/api/v1/keys", crashToken, "application/json",
		`{"name":"mics","owner":"acme","scopes":["events:write","events:read"]}`)
	if s != 201 {
		t.Fatalf("create key on the edge: %d %s", s, body)
	}
	var key struct{ Token string }
	if err := json.Unmarshal(body, &key); err != nil {
		t.Fatal(err)
	}
	ev := `{"id":"edge-evt-1","created_at":"2026-03-26T09:00:00Z","label_id":"dog_bark","mic_id":"mic_001"}`
	if s, body := do(t, "POST", "http://"+edge+"/api/v1/events/sound", key.Token, "application/json", ev); s != 202 {
		t.Fatalf("ingest on the edge: %d %s", s, body)
	}
	if s, body := do(t, "POST", "http://"+cloud+"/api/v1/events/sound", crashToken, "application/json",
		`{"id":"cloud-evt-1","created_at":"2026-03-26T09:00:01Z","label_id":"dog_bark","mic_id":"mic_002"}`); s != 202 {
		t.Fatalf("ingest in the cloud: %d %s", s, body)
	}

	// The cloud's log copies the edge's event, with its tenant.
	start := time.Now()
	testkit.Eventually(t, 20*time.Second, "the edge's event in the cloud's log", func() bool {
		_, body := do(t, "GET", "http://"+cloud+"/api/v1/events?family=sound", crashToken, "", "")
		return strings.Contains(string(body), "edge-evt-1")
	})
	t.Logf("the edge's event reached the cloud after %v", time.Since(start).Round(100*time.Millisecond))
	// The edge holds only its own event.
	time.Sleep(500 * time.Millisecond)
	if _, body := do(t, "GET", "http://"+edge+"/api/v1/events?family=sound", crashToken, "", ""); strings.Contains(string(body), "cloud-evt-1") {
		t.Fatalf("a cloud event reached the edge's log: %s", body)
	}
	// The edge's key is the edge's.
	if s, _ := do(t, "GET", "http://"+cloud+"/api/v1/events", key.Token, "", ""); s != 401 {
		t.Fatalf("an edge key used in the cloud: %d, want 401", s)
	}
}
