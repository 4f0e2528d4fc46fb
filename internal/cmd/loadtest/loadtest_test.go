package loadtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
)

func factory(env map[string]string) *cmdutil.Factory {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.NewFactory(ios, "test")
	f.Getenv = func(k string) string { return env[k] }
	f.UserConfigPath = func() string { return "" }
	return f
}

// parse runs the command's flag parsing only and returns its options.
func parse(t *testing.T, f *cmdutil.Factory, args ...string) (*Options, error) {
	t.Helper()
	var got *Options
	cmd := NewCmdLoadtest(f, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	if err := cmd.Execute(); err != nil {
		return nil, err
	}
	return got, nil
}

func TestFlagsBuildTargetAndPublisher(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.txt")
	if err := os.WriteFile(tokens, []byte("# users\nt1\n\n t2 \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := factory(map[string]string{"EVTCTL_SERVER": "https://gw.example:8443", "EVTCTL_TOKEN": "tok"})
	o, err := parse(t, f, "ws", "/api/v1/ws/composite-events", "--conns", "50", "--rate", "200",
		"--source-ips", "127.0.0.2-127.0.0.4", "-H", "X-A: 1", "--token-file", tokens,
		"--publish-url", "/api/v1/events/composite", "--publish-rate", "5", "--assert", "p99<50ms")
	if err != nil {
		t.Fatal(err)
	}
	target, err := buildTarget(o)
	if err != nil {
		t.Fatal(err)
	}
	if target.URL != "wss://gw.example:8443/api/v1/ws/composite-events" || target.Conns != 50 || target.Rate != 200 {
		t.Errorf("target %+v", target)
	}
	if len(target.Sources) != 3 || target.Header.Get("X-A") != "1" || strings.Join(target.Tokens, ",") != "t1,t2" {
		t.Errorf("sources %v header %v tokens %v", target.Sources, target.Header, target.Tokens)
	}
	pub, err := buildPublish(o)
	if err != nil {
		t.Fatal(err)
	}
	if pub.URL != "https://gw.example:8443/api/v1/events/composite" || pub.Token != "tok" || pub.Rate != 5 ||
		!strings.Contains(pub.Body, `"ts_ns":{{ts}}`) || !strings.Contains(pub.Body, `"group_key"`) {
		t.Errorf("publisher %+v", pub)
	}

	// Without a token file, the one token of --token / EVTCTL_TOKEN.
	o, _ = parse(t, f, "sse", "http://h:1/s")
	if target, _ = buildTarget(o); len(target.Tokens) != 1 || target.Tokens[0] != "tok" {
		t.Errorf("tokens %v", target.Tokens)
	}
}

func TestUsageErrorsBeforeConnecting(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tcp", "http://h/x"}, "unknown transport"},
		{[]string{"ws", "http://h/x"}, "ws:// or wss://"},
		{[]string{"sse", "/x", "--conns", "0"}, "--conns must be at least 1"},
		{[]string{"ws", "/x", "--source-ips", "nope"}, "not an IP address"},
		{[]string{"ws", "/x", "-H", "novalue"}, "want 'Key: Value'"},
		{[]string{"ws", "/x", "--token-file", "/nonexistent/tokens"}, "--token-file"},
		{[]string{"ws", "/x", "--assert", "establishd>1"}, "unknown metric"},
		{[]string{"ws", "/x", "--workers", "0"}, "--workers"},
		{[]string{"ws", "/x", "--server-pid", "1", "--server-metrics", "http://h/metrics"}, "not both"},
		{[]string{"ws", "/x", "--publish-url", "/p", "--publish-rate", "0"}, "--publish-rate"},
		{[]string{"ws", "/x", "-o", "id"}, "has no id"},
	} {
		f := factory(nil)
		if len(tc.args) > 3 && tc.args[2] == "-o" {
			f.Globals.Output = tc.args[3]
			tc.args = tc.args[:2]
		}
		cmd := NewCmdLoadtest(f, nil)
		cmd.SetArgs(tc.args)
		cmd.SetOut(&strings.Builder{})
		cmd.SetErr(&strings.Builder{})
		err := cmd.Execute()
		var fe *cmdutil.FlagError
		if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
}
