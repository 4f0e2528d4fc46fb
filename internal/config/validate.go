package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

type checker struct{ problems []Problem }

func (c *checker) add(key, format string, args ...any) {
	c.problems = append(c.problems, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) oneOf(key, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		c.add(key, "invalid value %q: want %s", v, orList(allowed))
	}
}

func (c *checker) positiveDuration(key string, d time.Duration) {
	if d <= 0 {
		c.add(key, "must be a positive duration, got %s", formatDuration(d))
	}
}

func (c *checker) nonNegativeDuration(key string, d time.Duration) {
	if d < 0 {
		c.add(key, "must not be negative, got %s", formatDuration(d))
	}
}

func (c *checker) atLeast(key string, v, low int64) {
	if v < low {
		c.add(key, "must be at least %d, got %d", low, v)
	}
}

func (c *checker) hostPort(key, v string) {
	if msg := checkHostPort(v); msg != "" {
		c.add(key, "%s", msg)
	}
}

// validate returns every invalid value of cfg, with Key set and no location.
func validate(cfg *Config) []Problem {
	var c checker

	s := cfg.Server
	if s.Listen == "" {
		c.add("server.listen", "must not be empty (e.g. \":8100\")")
	} else {
		c.hostPort("server.listen", s.Listen)
	}
	switch {
	case s.TLSCert != "" && s.TLSKey == "":
		c.add("server.tls_cert", "set without server.tls_key")
	case s.TLSKey != "" && s.TLSCert == "":
		c.add("server.tls_key", "set without server.tls_cert")
	}
	c.nonNegativeDuration("server.shutdown_timeout", s.ShutdownTimeout)
	c.atLeast("server.max_body_bytes", s.MaxBodyBytes, 1)
	c.positiveDuration("server.read_header_timeout", s.ReadHeaderTimeout)
	for i, o := range s.CORS.AllowedOrigins {
		if msg := CheckOrigin(o); msg != "" {
			c.add(fmt.Sprintf("server.cors.allowed_origins[%d]", i), "%s", msg)
		}
	}

	c.oneOf("log.level", cfg.Log.Level, "debug", "info", "warn", "error")
	c.oneOf("log.format", cfg.Log.Format, "auto", "text", "json")

	st := cfg.Storage
	if st.DataDir == "" {
		c.add("storage.data_dir", "must not be empty")
	}
	if st.NATSURL != "" {
		for _, u := range strings.Split(st.NATSURL, ",") {
			if msg := checkNATSURL(strings.TrimSpace(u), false); msg != "" {
				c.add("storage.nats_url", "%s", msg)
			}
		}
	}
	if st.NATSListen != "" {
		c.hostPort("storage.nats_listen", st.NATSListen)
		if st.NATSURL != "" {
			c.add("storage.nats_listen", "applies only to the embedded server, but storage.nats_url is set")
		}
	}
	if st.LeafListen != "" {
		c.hostPort("storage.leaf_listen", st.LeafListen)
		if st.NATSURL != "" {
			c.add("storage.leaf_listen", "applies only to the embedded server, but storage.nats_url is set")
		}
	}
	for i, u := range st.LeafRemotes {
		if msg := checkNATSURL(u, true); msg != "" {
			c.add(fmt.Sprintf("storage.leaf_remotes[%d]", i), "%s", msg)
		}
	}
	if len(st.LeafRemotes) > 0 && st.NATSURL != "" {
		c.add("storage.leaf_remotes", "applies only to the embedded server, but storage.nats_url is set")
	}
	for i, e := range st.EdgeSources {
		if strings.TrimSpace(e) == "" {
			c.add(fmt.Sprintf("storage.edge_sources[%d]", i), "an edge's server.name is required")
		}
	}
	if st.Replicas != 0 && (st.Replicas < 1 || st.Replicas > 5 || st.Replicas%2 == 0) {
		c.add("storage.replicas", "must be 1, 3 or 5 (or 0 for automatic), got %d", st.Replicas)
	}
	c.nonNegativeDuration("storage.max_age", st.MaxAge)
	if st.MaxBytes != -1 && st.MaxBytes < 1 {
		c.add("storage.max_bytes", "must be -1 (unlimited) or a positive number of bytes, got %d", st.MaxBytes)
	}
	if st.MaxStore < 0 {
		c.add("storage.max_store", "must be 0 (automatic) or a positive number of bytes, got %d", st.MaxStore)
	}
	c.positiveDuration("storage.dedup_window", st.DedupWindow)

	c.positiveDuration("ws.keepalive", cfg.WS.Keepalive)
	c.positiveDuration("ws.write_timeout", cfg.WS.WriteTimeout)

	c.positiveDuration("sse.heartbeat", cfg.SSE.Heartbeat)
	c.positiveDuration("sse.idle_timeout", cfg.SSE.IdleTimeout)
	c.positiveDuration("sse.retry", cfg.SSE.Retry)

	lim := cfg.Limits
	c.atLeast("limits.sse_per_user", int64(lim.SSEPerUser), 1)
	c.atLeast("limits.max_connections", int64(lim.MaxConnections), 0)
	if lim.ConnectRate < 0 {
		c.add("limits.connect_rate", "must not be negative, got %g", lim.ConnectRate)
	}
	c.atLeast("limits.connect_burst", int64(lim.ConnectBurst), 1)
	c.atLeast("limits.queue_messages", int64(lim.QueueMessages), 1)
	c.atLeast("limits.queue_bytes", lim.QueueBytes, 1)
	c.atLeast("limits.node_queue_bytes", lim.NodeQueueBytes, 0)
	c.atLeast("limits.ws_per_user", int64(lim.WSPerUser), 1)
	c.atLeast("limits.endpoints_per_tenant", int64(lim.EndpointsPerTenant), 0)
	c.atLeast("limits.filters_per_endpoint", int64(lim.FiltersPerEndpoint), 0)
	c.atLeast("limits.rules_per_tenant", int64(lim.RulesPerTenant), 0)
	c.atLeast("limits.keys_per_tenant", int64(lim.KeysPerTenant), 0)

	wh := cfg.Webhooks
	for i, cidr := range wh.AllowCIDRs {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			msg := fmt.Sprintf("invalid CIDR %q", cidr)
			if ip := net.ParseIP(cidr); ip != nil {
				bits := 32
				if ip.To4() == nil {
					bits = 128
				}
				msg += fmt.Sprintf(" (for a single address write %s/%d)", cidr, bits)
			}
			c.add(fmt.Sprintf("webhooks.allow_cidrs[%d]", i), "%s", msg)
		}
	}
	c.positiveDuration("webhooks.timeout", wh.Timeout)
	for i, d := range wh.RetrySchedule {
		c.positiveDuration(fmt.Sprintf("webhooks.retry_schedule[%d]", i), d)
	}
	if wh.Jitter < 0 || wh.Jitter > 1 {
		c.add("webhooks.jitter", "must be between 0 and 1, got %g", wh.Jitter)
	}
	c.atLeast("webhooks.concurrency", int64(wh.Concurrency), 1)
	c.nonNegativeDuration("webhooks.secret_grace", wh.SecretGrace)
	c.atLeast("webhooks.breaker_failures", int64(wh.BreakerFailures), 1)
	c.positiveDuration("webhooks.breaker_cooldown", wh.BreakerCooldown)
	if wh.RateLimit < 0 || wh.RateLimit > 100000 {
		c.add("webhooks.rate_limit", "must be between 0 (no limit) and 100000 deliveries per second, got %g", wh.RateLimit)
	}
	c.nonNegativeDuration("webhooks.disable_after", wh.DisableAfter)

	c.nonNegativeDuration("composite.allowed_lateness", cfg.Composite.AllowedLateness)

	for i, p := range cfg.Redact.Fields {
		if !validRedactPath(p) {
			c.add(fmt.Sprintf("redact.fields[%d]", i), "invalid path %q: want names separated by dots, [] after an array's name (e.g. \"events[].microphone.console.password\")", p)
		}
	}
	validateAuth(&c, cfg.Auth)
	return c.problems
}

// validRedactPath reports whether p is a redaction path: names separated by
// ".", each optionally followed by one or more "[]" (every element of that
// array), e.g. "microphone.console.password", "events[].microphone.console.password".
func validRedactPath(p string) bool {
	if p == "" {
		return false
	}
	for _, seg := range strings.Split(p, ".") {
		for {
			s, ok := strings.CutSuffix(seg, "[]")
			if !ok {
				break
			}
			seg = s
		}
		if seg == "" || strings.ContainsAny(seg, "[]") {
			return false
		}
	}
	return true
}

func checkHostPort(v string) string {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Sprintf("invalid address %q: want host:port (e.g. \":8100\")", v)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("invalid port in %q", v)
	}
	return ""
}

// checkNATSURL accepts nats://, tls://, ws:// and wss:// URLs, and host:port
// for client URLs (nats.go adds nats://); leaf node remotes need a scheme
// and may also be nats-leaf://.
func checkNATSURL(v string, leaf bool) string {
	schemes, want := []string{"nats", "tls", "ws", "wss"}, "nats://host:port (or tls://, ws://, wss://)"
	if leaf {
		schemes, want = append(schemes, "nats-leaf"), "nats-leaf://host:port (or nats://, tls://, ws://, wss://)"
	}
	if v == "" {
		return "empty URL in the list"
	}
	if !strings.Contains(v, "://") {
		if leaf {
			return fmt.Sprintf("invalid URL %q: want %s", v, want)
		}
		v = "nats://" + v
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || !slices.Contains(schemes, u.Scheme) {
		return fmt.Sprintf("invalid URL %q: want %s", v, want)
	}
	return ""
}

func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// CheckOrigin says what is wrong with o as an entry of
// server.cors.allowed_origins, or "" when it is a valid one: "*" or an
// origin as browsers send it, scheme://host[:port] in lower case, without
// a path, a trailing slash or a default port.
func CheckOrigin(o string) string {
	if o == "*" {
		return ""
	}
	const want = `want "*" or scheme://host[:port] as a browser sends it (e.g. "https://app.example.com", "http://127.0.0.1:8088")`
	if o == "null" {
		return `"null" (the origin of file:// pages and sandboxed frames) cannot be allowed; serve the page over http(s) or use "*"`
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf("invalid origin %q: %s", o, want)
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#") {
		return fmt.Sprintf("invalid origin %q: no path, trailing slash, query or credentials (%s)", o, want)
	}
	if o != strings.ToLower(o) {
		return fmt.Sprintf("invalid origin %q: browsers send origins in lower case (%q)", o, strings.ToLower(o))
	}
	if (u.Scheme == "http" && u.Port() == "80") || (u.Scheme == "https" && u.Port() == "443") {
		return fmt.Sprintf("invalid origin %q: browsers omit the default port (%q)", o, u.Scheme+"://"+u.Hostname())
	}
	if strings.Contains(u.Host, "*") {
		return fmt.Sprintf("invalid origin %q: wildcards in a host are not supported; list each origin, or \"*\" alone", o)
	}
	return ""
}
