package loadtest

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/loadtest"
)

// buildTarget turns the connection flags into the engine's Target. Bad
// values are usage errors, found before any connection is opened.
func buildTarget(opts *Options) (loadtest.Target, error) {
	t := loadtest.Target{
		Transport: opts.Transport, Conns: opts.Conns, Rate: opts.Rate, Inflight: opts.Inflight,
		DialTimeout: opts.DialTimeout, FirstMessage: opts.FirstMessage,
	}
	if t.Transport != loadtest.WS && t.Transport != loadtest.SSE {
		return t, cmdutil.FlagErrorf("unknown transport %q: use ws or sse", t.Transport)
	}
	if opts.Conns < 1 {
		return t, cmdutil.FlagErrorf("--conns must be at least 1")
	}
	if opts.Rate < 0 {
		return t, cmdutil.FlagErrorf("--rate must not be negative")
	}
	if opts.Inflight < 1 {
		return t, cmdutil.FlagErrorf("--inflight must be at least 1")
	}
	s, err := opts.Factory.Settings()
	if err != nil {
		return t, err
	}
	if t.URL, err = resolve(s.Server, opts.URL, t.Transport == loadtest.WS); err != nil {
		return t, err
	}
	if opts.SourceIPs != "" {
		if t.Sources, err = loadtest.ParseSources(opts.SourceIPs); err != nil {
			return t, cmdutil.FlagErrorf("--source-ips: %v", err)
		}
	}
	if t.Header, err = parseHeaders("--header", opts.Headers); err != nil {
		return t, err
	}
	switch {
	case opts.TokenFile != "":
		if t.Tokens, err = readTokens(opts.TokenFile); err != nil {
			return t, err
		}
	case s.Token != "":
		t.Tokens = []string{s.Token}
	}
	return t, nil
}

// buildPublish turns the publish flags into the publisher's options; nil
// without --publish-url.
func buildPublish(opts *Options) (*loadtest.Publish, error) {
	if opts.PublishURL == "" {
		return nil, nil
	}
	s, err := opts.Factory.Settings()
	if err != nil {
		return nil, err
	}
	p := &loadtest.Publish{Token: opts.PublishToken, Body: opts.PublishBody, Rate: opts.PublishRate, Concurrency: opts.PublishConc}
	if p.URL, err = resolve(s.Server, opts.PublishURL, false); err != nil {
		return nil, err
	}
	if p.Token == "" {
		p.Token = s.Token
	}
	if p.Body == "" {
		p.Body = loadtest.DefaultPublishBody(p.URL)
	}
	if !strings.Contains(p.Body, "{{ts}}") {
		return nil, cmdutil.FlagErrorf("--publish-body must contain {{ts}}: latency is measured from it")
	}
	if p.Rate <= 0 {
		return nil, cmdutil.FlagErrorf("--publish-rate must be above 0")
	}
	if p.Concurrency < 1 {
		return nil, cmdutil.FlagErrorf("--publish-concurrency must be at least 1")
	}
	if p.Header, err = parseHeaders("--publish-header", opts.PublishHeaders); err != nil {
		return nil, err
	}
	return p, nil
}

// resolve makes a path absolute against the server URL, switching the
// scheme to ws(s) for WebSockets.
func resolve(server, raw string, ws bool) (string, error) {
	if strings.HasPrefix(raw, "/") {
		base, err := url.Parse(server)
		if err != nil || base.Host == "" {
			return "", cmdutil.FlagErrorf("--server %q is not a URL", server)
		}
		ref, err := url.Parse(raw)
		if err != nil {
			return "", cmdutil.FlagErrorf("%q is not a URL path", raw)
		}
		u := base.ResolveReference(ref)
		if ws {
			u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
		}
		raw = u.String()
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", cmdutil.FlagErrorf("%q is not a URL", raw)
	}
	okSchemes := map[bool][]string{true: {"ws", "wss"}, false: {"http", "https"}}[ws]
	if u.Scheme != okSchemes[0] && u.Scheme != okSchemes[1] {
		return "", cmdutil.FlagErrorf("%q: use a %s:// or %s:// URL here", raw, okSchemes[0], okSchemes[1])
	}
	return raw, nil
}

func parseHeaders(flag string, hs []string) (http.Header, error) {
	out := http.Header{}
	for _, h := range hs {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, cmdutil.FlagErrorf("%s %q: want 'Key: Value'", flag, h)
		}
		out.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return out, nil
}

// readTokens reads one token per line; blank lines and # comments are
// skipped.
func readTokens(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, cmdutil.FlagErrorf("--token-file: %v", err)
	}
	var tokens []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			tokens = append(tokens, line)
		}
	}
	if len(tokens) == 0 {
		return nil, cmdutil.FlagErrorf("--token-file %s holds no token", path)
	}
	return tokens, nil
}
