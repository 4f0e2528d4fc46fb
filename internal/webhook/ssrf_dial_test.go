package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/webhook/ssrf"
	"github.com/evtctl/evtctl/internal/webhook/ssrf/ssrftest"
)

// loopbackReceivers serves on 127.0.0.1 and [::1] and counts requests.
func loopbackReceivers(t *testing.T) (p4, p6 string, hits *atomic.Int32) {
	t.Helper()
	hits = new(atomic.Int32)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	t.Cleanup(func() { _ = srv.Close() })
	listen := func(network, addr string) string {
		l, err := net.Listen(network, addr)
		if err != nil {
			t.Skipf("no %s loopback: %v", network, err)
		}
		go func() { _ = srv.Serve(l) }()
		_, port, _ := net.SplitHostPort(l.Addr().String())
		return port
	}
	return listen("tcp4", "127.0.0.1:0"), listen("tcp6", "[::1]:0"), hits
}

// TestSSRFDialForms is the connect-time half of the SSRF table: every form
// is sent by the real webhook client (guard in the dialer's Control hook)
// with names resolved like glibc's getaddrinfo would (ssrftest.Resolve),
// at receivers listening on the loopback ports the forms name. None may
// reach them; with loopback in allow_cidrs the same receivers are reached
// through the zoned and mapped forms, so a refusal is the guard's doing.
func TestSSRFDialForms(t *testing.T) {
	p4, p6, hits := loopbackReceivers(t)
	client := func(allow ...string) *http.Client {
		g, err := newGuard(allow)
		if err != nil {
			t.Fatal(err)
		}
		c := newClient(g, 2*time.Second, 4)
		tr := c.Transport.(*http.Transport)
		tr.DialContext = ssrftest.DialVia(tr.DialContext)
		return c
	}
	send := func(c *http.Client, u string) result {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return post(ctx, c, request{url: u, webhookID: "msg_ssrf", signature: "v1,x", ts: time.Now().Unix(), body: []byte(`{}`)})
	}

	def := client()
	create, _ := ssrf.New(nil)
	refused, atCreate, atConnect := 0, 0, 0
	for _, f := range ssrftest.Forms {
		u := f.With(p4, p6)
		before := hits.Load()
		res := send(def, u)
		var re *RefusedError
		isRefused := errors.As(res.err, &re)
		switch {
		case res.err == nil || res.status != 0 || hits.Load() != before:
			t.Errorf("%s: %s was delivered: status %d, err %v", f.Name, u, res.status, res.err)
			continue
		case f.Dial == ssrftest.Refused && !isRefused:
			t.Errorf("%s: %s: want the guard's refusal, got %v", f.Name, u, res.err)
		case f.Dial == ssrftest.NotSent && isRefused:
			t.Errorf("%s: %s: want a client error before connecting, got the guard's refusal %v", f.Name, u, res.err)
		}
		if isRefused && res.outcome() != "refused" {
			t.Errorf("%s: outcome %q", f.Name, res.outcome())
		}
		c := create.CheckURL(u) != ""
		if c {
			atCreate++
		}
		if isRefused {
			atConnect++
		}
		refused++ // not delivered
		t.Logf("%-40s create: %-8v connect: %v", f.Name, c, res.err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the receivers got %d requests", n)
	}
	t.Logf("SSRF forms refused: %d of %d tried (%d at create, %d by the guard when connecting, the rest never leave the client)",
		refused, len(ssrftest.Forms), atCreate, atConnect)

	// The escape hatch, on the normalised address: the same receivers are
	// reached through the zoned, mapped and compatible spellings.
	allowed := client("127.0.0.0/8", "::1/128")
	for _, u := range []string{
		"http://127.0.0.1:" + p4 + "/", "http://[::1]:" + p6 + "/", "http://[::1%25lo]:" + p6 + "/",
		"http://[::ffff:127.0.0.1]:" + p4 + "/", "http://rebind.test:" + p4 + "/",
	} {
		before := hits.Load()
		if res := send(allowed, u); !res.ok() || hits.Load() != before+1 {
			t.Errorf("with loopback allowed, %s: status %d, err %v", u, res.status, res.err)
		}
	}
}

// The system resolver, not the test one: localhost is refused on both of
// its addresses.
func TestSSRFLocalhostSystemResolver(t *testing.T) {
	p4, _, hits := loopbackReceivers(t)
	g, _ := newGuard(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res := post(ctx, newClient(g, 2*time.Second, 4), request{url: "http://localhost:" + p4 + "/", webhookID: "msg_ssrf", signature: "v1,x", ts: 1, body: []byte(`{}`)})
	var re *RefusedError
	if !errors.As(res.err, &re) || re.Why != "a loopback address" || hits.Load() != 0 {
		t.Fatalf("localhost: %+v, %d hits", res, hits.Load())
	}
}
