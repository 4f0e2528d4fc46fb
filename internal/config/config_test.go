package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestTemplateRoundTrip(t *testing.T) {
	if ps := Check("t.yaml", Template()); len(ps) != 0 {
		t.Fatalf("Check(Template()) = %v", ps)
	}
	cfg, err := Load(writeFile(t, string(Template())), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("Load(Template()) = %+v\nwant %+v", cfg, Default())
	}
	// Every key appears in the template with its env name.
	tmpl := string(Template())
	for _, k := range Keys() {
		parts := strings.Split(k.Key, ".") // nested sections are indented further
		key := strings.Repeat("  ", len(parts)-1) + parts[len(parts)-1]
		if !strings.Contains(tmpl, "\n"+key+": "+k.Default+"\n") {
			t.Errorf("template lacks %s: %s", key, k.Default)
		}
		if !strings.Contains(tmpl, k.Env) {
			t.Errorf("template lacks %s", k.Env)
		}
	}
}

func TestLoadEmptyPathIsDefault(t *testing.T) {
	cfg, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("Load(\"\") = %+v", cfg)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

// TestKeysCoverFields fails when a field is added without a yaml tag, a doc
// tag or a supported type.
func TestKeysCoverFields(t *testing.T) {
	supported := map[reflect.Type]bool{
		reflect.TypeOf(""): true, reflect.TypeOf(false): true, reflect.TypeOf(0): true,
		reflect.TypeOf(int64(0)): true, reflect.TypeOf(0.0): true, durationType: true,
		reflect.TypeOf([]string(nil)): true, reflect.TypeOf([]time.Duration(nil)): true,
	}
	docs := map[string]KeyDoc{}
	for _, k := range Keys() {
		if _, dup := docs[k.Key]; dup {
			t.Errorf("key %s listed twice", k.Key)
		}
		docs[k.Key] = k
	}
	n := 0
	// check walks a section's fields; a struct field is a nested section
	// (server.cors), its keys named with both.
	var check func(t reflect.Type, prefix string)
	check = func(st reflect.Type, prefix string) {
		for j := range st.NumField() {
			f := st.Field(j)
			name := f.Tag.Get("yaml")
			if name == "" {
				t.Errorf("%s.%s has no yaml tag", prefix, f.Name)
				continue
			}
			key := prefix + "." + name
			if f.Type.Kind() == reflect.Struct && f.Type != durationType {
				check(f.Type, key)
				continue
			}
			n++
			d, ok := docs[key]
			if !ok {
				t.Errorf("Keys() lacks %s", key)
				continue
			}
			if !supported[f.Type] {
				t.Errorf("%s: unsupported type %s", key, f.Type)
			}
			if len(d.Description) < 10 || !strings.HasSuffix(d.Description, ".") {
				t.Errorf("%s: description %q should be a sentence (doc tag)", key, d.Description)
			}
			if want := "EVTCTL_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_")); d.Env != want {
				t.Errorf("%s: env %s, want %s", key, d.Env, want)
			}
			if d.Default == "" {
				t.Errorf("%s: empty default text", key)
			}
		}
	}
	ct := reflect.TypeOf(Config{})
	for i := range ct.NumField() {
		sec := ct.Field(i)
		secName := sec.Tag.Get("yaml")
		if secName == "" || sec.Type.Kind() != reflect.Struct {
			t.Errorf("Config.%s: want a struct with a yaml tag", sec.Name)
			continue
		}
		check(sec.Type, secName)
	}
	if n != len(docs) {
		t.Errorf("%d fields, %d keys", n, len(docs))
	}
	aliases := map[string]string{}
	for _, k := range Keys() {
		for _, a := range k.EnvAliases {
			aliases[a] = k.Key
		}
	}
	want := map[string]string{
		"EVTCTL_ADMIN_TOKEN": "server.admin_token", "EVTCTL_LISTEN": "server.listen",
		"EVTCTL_DATA": "storage.data_dir", "EVTCTL_NATS_URL": "storage.nats_url",
	}
	if !reflect.DeepEqual(aliases, want) {
		t.Errorf("aliases = %v, want %v", aliases, want)
	}
}

func TestKeysOrderAndDefaults(t *testing.T) {
	keys := Keys()
	if keys[0].Key != "server.listen" || keys[0].Default != `"127.0.0.1:8100"` {
		t.Errorf("first key = %+v", keys[0])
	}
	got := map[string]string{}
	for _, k := range keys {
		got[k.Key] = k.Default
	}
	for key, want := range map[string]string{
		"storage.max_age":         "168h",
		"storage.max_bytes":       "-1",
		"sse.idle_timeout":        "5m",
		"webhooks.retry_schedule": "[5s, 5m, 30m, 2h, 5h, 10h, 10h]",
		"webhooks.allow_cidrs":    "[]",
		"webhooks.jitter":         "0.2",
		"server.name":             `""`,
		"composite.enabled":       "true",
	} {
		if got[key] != want {
			t.Errorf("%s default = %q, want %q", key, got[key], want)
		}
	}
}

func TestLoadFileAndEnvPrecedence(t *testing.T) {
	p := writeFile(t, `
server:
  listen: ":9000"
  admin_token: from-file
storage:
  max_age: 48h
  data_dir: /var/lib/evtctl
limits:
  sse_per_user: 5
webhooks:
  allow_cidrs: [10.0.0.0/8]
`)
	cfg, err := Load(p, env(map[string]string{
		"EVTCTL_STORAGE_MAX_AGE":            "24h",
		"EVTCTL_LIMITS_SSE_PER_USER":        "20",
		"EVTCTL_ADMIN_TOKEN":                "from-env",
		"EVTCTL_WEBHOOKS_ALLOW_CIDRS":       "127.0.0.1/32, 192.168.0.0/16",
		"EVTCTL_WS_ENDPOINT_REQUIRES_TOKEN": "1",
		"EVTCTL_DATA":                       "/alias",
		"EVTCTL_STORAGE_DATA_DIR":           "/long", // the long name wins over the alias
		"EVTCTL_WEBHOOKS_RETRY_SCHEDULE":    "1s,2s",
		"EVTCTL_LIMITS_CONNECT_RATE":        "12.5",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Server.Listen = ":9000"
	want.Server.AdminToken = "from-env"
	want.Storage.MaxAge = 24 * time.Hour
	want.Storage.DataDir = "/long"
	want.Limits.SSEPerUser = 20
	want.Limits.ConnectRate = 12.5
	want.Webhooks.AllowCIDRs = []string{"127.0.0.1/32", "192.168.0.0/16"}
	want.Webhooks.RetrySchedule = []time.Duration{time.Second, 2 * time.Second}
	want.WS.EndpointRequiresToken = true
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}

	cfg, err = Load(p, env(map[string]string{"EVTCTL_DATA": "/alias", "EVTCTL_LISTEN": ":1"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Storage.DataDir != "/alias" || cfg.Server.Listen != ":1" {
		t.Errorf("aliases not applied: %+v", cfg.Storage)
	}
}

func TestLoadErrors(t *testing.T) {
	p := writeFile(t, "storage:\n  max_age: 7x\n")
	_, err := Load(p, nil)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if want := p + `:2: storage.max_age: invalid duration "7x"`; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}

	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"EVTCTL_STORAGE_MAX_AGE": "7x"}, `EVTCTL_STORAGE_MAX_AGE: storage.max_age: invalid duration "7x"`},
		{map[string]string{"EVTCTL_LIMITS_SSE_PER_USER": "many"}, `EVTCTL_LIMITS_SSE_PER_USER: limits.sse_per_user: expected a whole number, got "many"`},
		{map[string]string{"EVTCTL_STORAGE_REPLICAS": "2"}, `EVTCTL_STORAGE_REPLICAS: storage.replicas: must be 1, 3 or 5 (or 0 for automatic), got 2`},
		{map[string]string{"EVTCTL_WEBHOOKS_ALLOW_CIDRS": "10.0.0.0/8,nope"}, `EVTCTL_WEBHOOKS_ALLOW_CIDRS: webhooks.allow_cidrs[1]: invalid CIDR "nope"`},
		{map[string]string{"EVTCTL_COMPOSITE_ENABLED": "maybe"}, `EVTCTL_COMPOSITE_ENABLED: composite.enabled: expected true or false, got "maybe"`},
		{map[string]string{"EVTCTL_SSE_RETRY": "3"}, `EVTCTL_SSE_RETRY: sse.retry: invalid duration 3: a unit is required (e.g. "3s")`},
	}
	for _, tt := range tests {
		_, err := Load("", env(tt.env))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Load with %v: err = %v, want %q", tt.env, err, tt.want)
		}
	}

	// An env value overriding a bad file value is validated as the env value.
	p = writeFile(t, "storage:\n  replicas: 2\n")
	if _, err := Load(p, env(map[string]string{"EVTCTL_STORAGE_REPLICAS": "3"})); err != nil {
		t.Errorf("env override of replicas: %v", err)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // Problem.String() with file "c.yaml"
	}{
		{"ok", "server:\n  listen: \":9000\"\n", nil},
		{"empty", "", nil},
		{"null sections and values", "server:\nlog:\n  level:\n", nil},
		{"unknown top-level with suggestion", "server:\n  listen: \":1\"\nstorag:\n  max_age: 1h\n",
			[]string{`c.yaml:3: unknown key "storag" (did you mean "storage"?)`}},
		{"unknown nested with suggestion", "server:\n  lisen: \":1\"\n",
			[]string{`c.yaml:2: unknown key "server.lisen" (did you mean "server.listen"?)`}},
		{"unknown key known elsewhere", "listen: \":1\"\n",
			[]string{`c.yaml:1: unknown key "listen" (did you mean "server.listen"?)`}},
		{"dash instead of underscore", "storage:\n  max-age: 1h\n",
			[]string{`c.yaml:2: unknown key "storage.max-age" (did you mean "storage.max_age"?)`}},
		{"unknown without suggestion", "zzzzzz: 1\n",
			[]string{`c.yaml:1: unknown key "zzzzzz"`}},
		{"bad duration", "storage:\n  data_dir: x\n  max_age: 7x\n",
			[]string{`c.yaml:3: storage.max_age: invalid duration "7x"`}},
		{"day unit", "storage:\n  max_age: 7d\n",
			[]string{`c.yaml:2: storage.max_age: invalid duration "7d": there is no day unit, write "168h"`}},
		{"bare integer duration", "ws:\n  keepalive: 30\n",
			[]string{`c.yaml:2: ws.keepalive: invalid duration 30: a unit is required (e.g. "30s")`}},
		{"quoted bare integer duration", "ws:\n  keepalive: \"30\"\n",
			[]string{`c.yaml:2: ws.keepalive: invalid duration "30": a unit is required (e.g. "30s")`}},
		{"zero duration allowed", "storage:\n  max_age: 0\n", nil},
		{"negative duration", "server:\n  shutdown_timeout: -1s\n",
			[]string{`c.yaml:2: server.shutdown_timeout: must not be negative, got -1s`}},
		{"zero where positive needed", "sse:\n  heartbeat: 0s\n",
			[]string{`c.yaml:2: sse.heartbeat: must be a positive duration, got 0s`}},
		{"bad level and format", "log:\n  level: loud\n  format: xml\n",
			[]string{
				`c.yaml:2: log.level: invalid value "loud": want debug, info, warn or error`,
				`c.yaml:3: log.format: invalid value "xml": want auto, text or json`,
			}},
		{"type errors", "storage:\n  replicas: three\nlimits:\n  connect_rate: fast\nws:\n  endpoint_requires_token: yes please\n",
			[]string{
				`c.yaml:2: storage.replicas: expected a whole number, got "three"`,
				`c.yaml:4: limits.connect_rate: expected a number, got "fast"`,
				`c.yaml:6: ws.endpoint_requires_token: expected true or false, got "yes please"`,
			}},
		{"float for int", "limits:\n  sse_per_user: 1.5\n",
			[]string{`c.yaml:2: limits.sse_per_user: expected a whole number, got "1.5"`}},
		{"section not a mapping", "server: 8100\n",
			[]string{`c.yaml:1: server: expected a mapping of keys, got "8100"`}},
		{"list expected", "webhooks:\n  allow_cidrs: 10.0.0.0/8\n",
			[]string{`c.yaml:2: webhooks.allow_cidrs: expected a list (e.g. [a, b] or lines starting with "- "), got "10.0.0.0/8"`}},
		{"scalar expected", "server:\n  listen: [a, b]\n",
			[]string{`c.yaml:2: server.listen: expected a string, got a list`}},
		{"bad CIDR on its own line", "webhooks:\n  allow_cidrs:\n    - 10.0.0.0/8\n    - 10.0.0.1\n    - nope\n",
			[]string{
				`c.yaml:4: webhooks.allow_cidrs[1]: invalid CIDR "10.0.0.1" (for a single address write 10.0.0.1/32)`,
				`c.yaml:5: webhooks.allow_cidrs[2]: invalid CIDR "nope"`,
			}},
		{"bad retry schedule item", "webhooks:\n  retry_schedule: [1s, 2, 0s]\n",
			[]string{`c.yaml:2: webhooks.retry_schedule[1]: invalid duration 2: a unit is required (e.g. "2s")`}},
		{"replicas", "storage:\n  replicas: 2\n",
			[]string{`c.yaml:2: storage.replicas: must be 1, 3 or 5 (or 0 for automatic), got 2`}},
		{"replicas too many", "storage:\n  replicas: 7\n",
			[]string{`c.yaml:2: storage.replicas: must be 1, 3 or 5 (or 0 for automatic), got 7`}},
		{"negative limits", "limits:\n  max_connections: -1\n  connect_rate: -2\n  queue_bytes: 0\n",
			[]string{
				`c.yaml:2: limits.max_connections: must be at least 0, got -1`,
				`c.yaml:3: limits.connect_rate: must not be negative, got -2`,
				`c.yaml:4: limits.queue_bytes: must be at least 1, got 0`,
			}},
		{"max_bytes", "storage:\n  max_bytes: 0\n",
			[]string{`c.yaml:2: storage.max_bytes: must be -1 (unlimited) or a positive number of bytes, got 0`}},
		{"jitter", "webhooks:\n  jitter: 1.5\n",
			[]string{`c.yaml:2: webhooks.jitter: must be between 0 and 1, got 1.5`}},
		{"concurrency", "webhooks:\n  concurrency: 0\n",
			[]string{`c.yaml:2: webhooks.concurrency: must be at least 1, got 0`}},
		{"tls_cert without tls_key", "server:\n  tls_cert: cert.pem\n",
			[]string{`c.yaml:2: server.tls_cert: set without server.tls_key`}},
		{"tls_key without tls_cert", "server:\n\n  tls_key: key.pem\n",
			[]string{`c.yaml:3: server.tls_key: set without server.tls_cert`}},
		{"bad listen", "server:\n  listen: 8100\n",
			[]string{`c.yaml:2: server.listen: invalid address "8100": want host:port (e.g. ":8100")`}},
		{"nats", "storage:\n  nats_url: nats://a:4222,b:4222\n  nats_listen: \":4222\"\n  leaf_remotes: [\"nats-leaf://cloud:7422\", \"cloud:7422\"]\n",
			[]string{
				`c.yaml:3: storage.nats_listen: applies only to the embedded server, but storage.nats_url is set`,
				`c.yaml:4: storage.leaf_remotes[1]: invalid URL "cloud:7422": want nats-leaf://host:port (or nats://, tls://, ws://, wss://)`,
				`c.yaml:4: storage.leaf_remotes: applies only to the embedded server, but storage.nats_url is set`,
			}},
		{"leaf listen", "storage:\n  nats_url: nats://a:4222\n  leaf_listen: \":7422\"\n",
			[]string{`c.yaml:3: storage.leaf_listen: applies only to the embedded server, but storage.nats_url is set`}},
		{"edge sources", "storage:\n  edge_sources: [edge-01, \"\"]\n",
			[]string{`c.yaml:2: storage.edge_sources[1]: an edge's server.name is required`}},
		{"redact paths", "redact:\n  fields:\n    - microphone.console.password\n    - events[].microphone.console.password\n    - a..b\n    - \"[].x\"\n",
			[]string{
				`c.yaml:5: redact.fields[2]: invalid path "a..b": want names separated by dots, [] after an array's name (e.g. "events[].microphone.console.password")`,
				`c.yaml:6: redact.fields[3]: invalid path "[].x": want names separated by dots, [] after an array's name (e.g. "events[].microphone.console.password")`,
			}},
		{"repeated key", "log:\n  level: info\n  level: debug\n",
			[]string{`c.yaml:3: log.level: repeated key (first set at line 2)`}},
		{"syntax error", "server:\n  listen: \":1\"\n bad\n",
			[]string{`c.yaml:2: invalid YAML: did not find expected key`}},
		{"not a mapping", "- a\n- b\n",
			[]string{`c.yaml:1: expected a mapping of sections (server:, storage:, …), got a list`}},
		{"aliases resolved", "x: &d 30s\nws:\n  keepalive: *d\n",
			[]string{`c.yaml:1: unknown key "x"`}},
		{"several problems in line order", "storage:\n  max_age: 1y\nstorag: {}\nlog:\n  level: loud\n",
			[]string{
				`c.yaml:2: storage.max_age: invalid duration "1y"`,
				`c.yaml:3: unknown key "storag" (did you mean "storage"?)`,
				`c.yaml:5: log.level: invalid value "loud": want debug, info, warn or error`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range Check("c.yaml", []byte(tt.yaml)) {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestCheckProblemFields(t *testing.T) {
	ps := Check("c.yaml", []byte("storage:\n  max_age: 7x\n"))
	want := []Problem{{File: "c.yaml", Line: 2, Key: "storage.max_age", Message: `invalid duration "7x"`}}
	if !reflect.DeepEqual(ps, want) {
		t.Errorf("got %+v, want %+v", ps, want)
	}
}

func TestValidate(t *testing.T) {
	c := Default()
	c.Storage.Replicas = 4
	c.Log.Level = "trace"
	err := c.Validate()
	want := "storage.replicas: must be 1, 3 or 5 (or 0 for automatic), got 4"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `log.level: invalid value "trace"`) {
		t.Errorf("Validate() = %v", err)
	}
}

func TestResolve(t *testing.T) {
	c := Default()
	c.Resolve()
	if c.Server.Name == "" {
		t.Error("Resolve left Server.Name empty")
	}
	c = Default()
	c.Server.Name = "edge-1"
	c.Resolve()
	if c.Server.Name != "edge-1" {
		t.Errorf("Resolve overwrote Server.Name: %q", c.Server.Name)
	}
}

func TestCheckOrigin(t *testing.T) {
	for _, o := range []string{"*", "http://127.0.0.1:8088", "https://app.example.com", "http://[::1]:3000"} {
		if msg := CheckOrigin(o); msg != "" {
			t.Errorf("CheckOrigin(%q) = %q, want valid", o, msg)
		}
	}
	for _, o := range []string{"", "null", "app.example.com", "https://app.example.com/", "https://app.example.com/x",
		"HTTPS://App.example.com", "https://app.example.com:443", "ws://a.example.com", "https://*.example.com", "https://u@a.example.com"} {
		if msg := CheckOrigin(o); msg == "" {
			t.Errorf("CheckOrigin(%q) valid, want a problem", o)
		}
	}
	cfg, err := Load("", func(k string) string {
		if k == "EVTCTL_SERVER_CORS_ALLOWED_ORIGINS" {
			return "http://127.0.0.1:8088,https://app.example.com/"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "server.cors.allowed_origins[1]") {
		t.Fatalf("Load = %v, %v; want a problem naming server.cors.allowed_origins[1]", cfg, err)
	}
}
