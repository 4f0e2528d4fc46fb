package tail

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/endpoint"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/stream"
	"github.com/evtctl/evtctl/pkg/proto"
)

func TestFlags(t *testing.T) {
	tests := []struct {
		args string
		err  string
		want func(*Options) bool
	}{
		{args: "composites analysis --device d1 --device d2 -n 5 --record r.ndjson -H 'X-A: 1' --no-ui", want: func(o *Options) bool {
			return len(o.Args) == 2 && len(o.Devices) == 2 && o.Count == 5 && o.Record == "r.ndjson" && o.Headers[0] == "X-A: 1" && o.NoUI && o.Buffer == 10000
		}},
		{args: "composites -n -1", err: "--count must be positive"},
		{args: "composites -H nocolon", err: "invalid header"},
		{args: "composites --include '(' --no-ui", err: "invalid --include regular expression"},
		{args: "composites --exclude '[a'", err: "invalid --exclude regular expression"},
		{args: "composites --template '{{.Event'", err: "invalid --template"},
		{args: "composites --family noise", err: "invalid --family"},
		{args: "composites --since yesterday", err: "--since"},
		{args: "composites --since 10m --after c1", err: "--since and --after"},
		{args: "composites --family sound --type dog_bark --device m1 --include bark --exclude cat --since 10m --template '{{.Source}}'", want: func(o *Options) bool {
			return o.filter != nil && len(o.filter.Families) == 1 && len(o.filter.Include) == 1 && len(o.filter.Exclude) == 1 &&
				o.template != nil && time.Since(o.since) > 9*time.Minute && time.Since(o.since) < 11*time.Minute
		}},
	}
	for _, tt := range tests {
		f, _, _ := cmdtest.LiveFactory("", "", "")
		var got *Options
		cmd := NewCmdTail(f, func(o *Options) error { got = o; return nil })
		args := splitArgs(tt.args)
		cmd.SetArgs(args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if tt.err != "" {
			var fe *cmdutil.FlagError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want usage error %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || !tt.want(got) {
			t.Errorf("%s: err %v, options %+v", tt.args, err, got)
		}
	}
}

// splitArgs splits on spaces, keeping '…' quoted parts together.
func splitArgs(s string) []string {
	var out []string
	for i, part := range strings.Split(s, "'") {
		if i%2 == 1 {
			out = append(out, part)
			continue
		}
		out = append(out, strings.Fields(part)...)
	}
	return out
}

func TestTokenGoesOnlyToTheGatewayHost(t *testing.T) {
	for _, flag := range []bool{false, true} {
		f, _, _ := cmdtest.LiveFactory("http://gw:8100", "evt_x_y", "")
		opts := &Options{Settings: f.Settings, TokenFlag: flag, Args: []string{"composites", "ws://other:1/x"}, Headers: []string{"X-Trace: 7"}}
		specs, err := buildSpecs(opts)
		if err != nil {
			t.Fatal(err)
		}
		if specs[0].Header.Get("Authorization") != "Bearer evt_x_y" || specs[0].Header.Get("X-Trace") != "7" {
			t.Errorf("gateway source headers %v", specs[0].Header)
		}
		if got := specs[1].Header.Get("Authorization") != ""; got != flag {
			t.Errorf("--token given=%v: token sent to another host=%v", flag, got)
		}
	}
	f, _, _ := cmdtest.LiveFactory("http://gw:8100", "", "")
	if _, err := buildSpecs(&Options{Settings: f.Settings, Args: []string{"composites", "analysis"}, After: "5"}); err == nil || !strings.Contains(err.Error(), "exactly one source") {
		t.Errorf("--after with two sources: %v", err)
	}
	if _, err := buildSpecs(&Options{Settings: f.Settings, Args: []string{"composites", "endpoint", "e1"}, since: time.Now()}); err == nil || !strings.Contains(err.Error(), "endpoint:e1 cannot be replayed") {
		t.Errorf("--since with the endpoint stream: %v", err)
	}
}

func startGateway(t *testing.T) *servertest.Harness {
	return servertest.Run(t, streams)
}

// streams builds the endpoints and the streams components.
func streams(ctx context.Context, g server.Handles) ([]component.Component, error) {
	eps, err := endpoint.New(ctx, g.Env, g.Config.Webhooks, g.Config.Limits)
	if err != nil {
		return nil, err
	}
	svc, err := stream.New(ctx, g.Env, stream.ConfigOf(g.Config), g.Log, g.Keys, eps)
	return []component.Component{eps, svc}, err
}

func appendComposite(t *testing.T, h *servertest.Harness, id string) {
	t.Helper()
	data := []byte(`{"id":"` + id + `","group_key":"edge-01:x","rule":{"id":"r"},"events":[],"mics":[],"labels":[],"started_at":"2026-03-26T08:59:45Z"}`)
	if _, err := h.Server.Log().Append(context.Background(), []store.Entry{{Address: store.CompositeAddress("acme", id), ID: id, Data: data}}); err != nil {
		t.Fatal(err)
	}
}

func TestLinesModeResumesRecordsAndStopsAfterCount(t *testing.T) {
	h := startGateway(t)
	token := h.NewKey("acme", proto.ScopeEventsRead)
	appendComposite(t, h, "c1")
	appendComposite(t, h, "c2")
	rec := filepath.Join(t.TempDir(), "rec.ndjson")
	f, out, errOut := cmdtest.LiveFactory(h.URL, token, "")
	cmd := NewCmdTail(f, nil)
	cmd.SetArgs([]string{"composites", "--after", "c1", "-n", "2", "--record", rec})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(context.Background()) }()

	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), `"id":"c2"`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	appendComposite(t, h, "c3")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("tail: %v\nstderr: %s", err, errOut)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("tail did not stop after -n 2; stdout %q stderr %q", out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"id":"c2"`) || !strings.HasPrefix(lines[1], `{"id":"c3"`) {
		t.Fatalf("stdout:\n%s", out)
	}
	if s := errOut.String(); !strings.Contains(s, "composites: connecting (resuming after c1)") || !strings.Contains(s, "composites: hello") {
		t.Fatalf("stderr:\n%s", s)
	}
	data, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	recLines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(recLines) != 2 || !strings.Contains(recLines[0], `"source":"composites","family":"composite","cursor":"c2","event":{"id":"c2",`) {
		t.Fatalf("recording:\n%s", data)
	}
}

func TestRefusalsMapToExitCodes(t *testing.T) {
	h := startGateway(t)
	for _, tc := range []struct {
		args  []string
		token string
		code  int
	}{
		{[]string{"composites"}, "evt_nosuchkey00_secret", cmdutil.ExitUnauthorized},
		{[]string{"composites"}, h.NewKey("acme", proto.ScopeEventsWrite), cmdutil.ExitUnauthorized}, // 403: scope
		{[]string{"endpoint", "nope"}, "", cmdutil.ExitNotFound},
		{[]string{"bogus"}, "", cmdutil.ExitUsage},
	} {
		f, _, _ := cmdtest.LiveFactory(h.URL, tc.token, "")
		cmd := NewCmdTail(f, nil)
		cmd.SetArgs(tc.args)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := cmd.ExecuteContext(ctx)
		cancel()
		if got := cmdutil.ExitCode(err); got != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, got, err, tc.code)
		}
	}
}
