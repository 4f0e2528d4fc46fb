package serve

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
	"github.com/evtctl/evtctl/internal/testnet"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files
// and returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "evtctl test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

// served is a running `evtctl serve`: done is closed when it returned err.
type served struct {
	stderr *cmdtest.SyncBuffer
	done   chan struct{}
	err    error
}

// runServe runs `evtctl serve args...` until the test ends.
func runServe(t *testing.T, args ...string) *served {
	t.Helper()
	return runServeIO(t, false, args...)
}

// runServeIO is runServe with stderr a terminal or not.
func runServeIO(t *testing.T, stderrTTY bool, args ...string) *served {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	ios.SetStderrTTY(stderrTTY)
	stderr := &cmdtest.SyncBuffer{}
	ios.ErrOut = stderr
	f := cmdutil.NewFactory(ios, "test")
	f.Getenv = func(k string) string {
		if k == "EVTCTL_LOG_LEVEL" {
			return "error"
		}
		return ""
	}
	cmd := NewCmdServe(f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{stderr: stderr, done: make(chan struct{})}
	go func() {
		s.err = cmd.ExecuteContext(ctx)
		close(s.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return s
}

// wait returns the command's error once it has returned.
func (s *served) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-s.done:
		return s.err
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not return")
		return nil
	}
}

// TestServeTLS runs `evtctl serve --tls-cert --tls-key` and uses it over
// HTTPS only: ingest, then an SSE stream that receives the next event.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	addr := testnet.Addr(t)
	const token = "tls-test-admin-token"
	srv := runServe(t, "--listen", addr, "--data", t.TempDir(), "--admin-token", token, "--name", "edge-01",
		"--tls-cert", certFile, "--tls-key", keyFile)

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	base := "https://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case <-srv.done:
			t.Fatalf("serve exited: %v\n%s", srv.err, srv.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("HTTPS server not ready: %v\n%s", err, srv.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(srv.stderr.String(), "listening on "+base) {
		t.Errorf("stderr does not announce %s: %s", base, srv.stderr)
	}

	// Plain HTTP on the TLS port gets no HTTP answer.
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP was served on the TLS listener")
		}
	}
	// A client that does not trust the certificate fails the handshake.
	if _, err := http.Get(base + "/healthz"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted client: %v, want a certificate error", err)
	}

	do := func(method, path, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return resp
	}
	analysis := func(id string) string {
		return `{"deviceId":"cam-1","analysisId":"` + id + `","timestamp":"2026-11-23T10:00:00Z","detections":[{"type":"person","confidence":0.9}]}`
	}
	resp := do("POST", "/api/v1/events/analysis", analysis("a1"))
	var res struct{ Accepted int }
	_ = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != 202 || res.Accepted != 1 {
		t.Fatalf("ingest over TLS: %d %+v", resp.StatusCode, res)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/devices/cam-1/analysis/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	sse, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer sse.Body.Close()
	if sse.StatusCode != 200 || !strings.HasPrefix(sse.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("SSE over TLS: %d %s", sse.StatusCode, sse.Header.Get("Content-Type"))
	}
	if sse.TLS == nil {
		t.Fatal("SSE response did not come over TLS")
	}
	// The stream is registered once its head is written; an event ingested
	// now must arrive.
	resp = do("POST", "/api/v1/events/analysis", analysis("a2"))
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("second ingest: %d", resp.StatusCode)
	}
	// The first event may arrive too: it was stored before the stream
	// opened, but the stream's live start is the newest event the node has
	// dispatched, which can trail the store by a moment.
	r := bufio.NewReader(sse.Body)
	var event, id, data string
	for data != analysis("a2") {
		event, id, data = "", "", ""
		for data == "" {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("SSE stream: %v (event %q)", err, event)
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "id: "):
				id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			}
		}
		if event != "analysis_result" || id == "" || (data != analysis("a1") && data != analysis("a2")) {
			t.Fatalf("SSE over TLS: event %q id %q data %s", event, id, data)
		}
	}
}

// One of the two TLS flags alone is a usage error (exit code 2), and a key
// that is not a key stops the start with the reason.
func TestServeTLSFlagErrors(t *testing.T) {
	certFile, _, _ := selfSigned(t)
	err := runServe(t, "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--tls-cert", certFile).wait(t)
	var fe *cmdutil.FlagError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "--tls-key") {
		t.Errorf("--tls-cert alone: %v, want a FlagError naming --tls-key", err)
	}

	err = runServe(t, "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--admin-token", "x",
		"--tls-cert", certFile, "--tls-key", certFile).wait(t)
	if err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("certificate as key: %v, want a TLS load error", err)
	}
}
