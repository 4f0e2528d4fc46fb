// Package config is the configuration of the gateway (`evtctl serve`): the
// Config struct, its defaults, loading from a YAML file with environment
// overrides, validation with file:line problems, and the commented template
// written by `evtctl config init`.
//
// The struct below is the single source of truth for every key: its YAML name
// (yaml tag), its description (doc tag), its environment variable (derived:
// EVTCTL_<SECTION>_<KEY>, plus short aliases in the env tag) and its default
// (Default). Template, Keys, Load and Check are all generated from it, so a new
// field only needs a yaml tag, a doc tag and a default.
//
// Durations are written with a unit ("500ms", "30s", "5m", "2h"); a bare
// number other than 0 is rejected. Lists are YAML sequences in the file and
// comma-separated in the environment.
//
// Redaction paths (redact.fields) are dotted JSON paths: "a.b" walks object
// keys, "[]" after a name visits every element of that array, e.g.
// "microphone.console.password" or "events[].microphone.console.password".
// Keys that themselves contain ".", "[" or "]" cannot be addressed.
package config

import (
	"os"
	"time"
)

// Config is the whole gateway configuration.
type Config struct {
	Server    Server    `yaml:"server"`
	Log       Log       `yaml:"log"`
	Storage   Storage   `yaml:"storage"`
	WS        WS        `yaml:"ws"`
	SSE       SSE       `yaml:"sse"`
	Limits    Limits    `yaml:"limits"`
	Webhooks  Webhooks  `yaml:"webhooks"`
	Composite Composite `yaml:"composite"`
	Redact    Redact    `yaml:"redact"`
	Auth      Auth      `yaml:"auth"`
}

// Server is the HTTP side of the gateway.
type Server struct {
	Listen            string        `yaml:"listen" env:"EVTCTL_LISTEN" doc:"Address (host:port) of the HTTP API, WebSocket and SSE server; the default accepts local clients only, \":8100\" every interface (see docs/security.md)."`
	Name              string        `yaml:"name" doc:"Name of this gateway/edge, used in composite group keys; empty = the host name."`
	AdminToken        string        `yaml:"admin_token" env:"EVTCTL_ADMIN_TOKEN" doc:"Bootstrap admin token; empty = create an admin key on first start. Prefer the environment to the file."`
	TLSCert           string        `yaml:"tls_cert" doc:"PEM certificate file; serve HTTPS when set together with tls_key."`
	TLSKey            string        `yaml:"tls_key" doc:"PEM private key file of tls_cert."`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout" doc:"How long a graceful shutdown waits for open requests and streams before closing them."`
	MaxBodyBytes      int64         `yaml:"max_body_bytes" doc:"Largest accepted request body in bytes (ingest batches included)."`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout" doc:"Time a client has to send the request headers."`
	CORS              CORS          `yaml:"cors"`
}

// CORS is which web pages of other origins may use the API, the SSE
// streams and the WebSockets (docs/browser.md).
type CORS struct {
	AllowedOrigins []string `yaml:"allowed_origins" doc:"Origins (scheme://host[:port], exactly as a browser sends them) of the web pages allowed to call the API and open SSE streams (CORS) and WebSockets; \"*\" = any origin; [] = none: browsers refuse cross-origin calls and WebSocket upgrades with another Origin get 403. Requests without Origin (CLIs, servers) are not concerned."`
}

// Log is the gateway's own logging.
type Log struct {
	Level  string `yaml:"level" doc:"Minimum log level: debug, info, warn or error."`
	Format string `yaml:"format" doc:"Log format: auto (text on a terminal, JSON otherwise), text or json."`
}

// Storage is the NATS JetStream backbone and the event log's retention.
type Storage struct {
	DataDir     string        `yaml:"data_dir" env:"EVTCTL_DATA" doc:"Directory of the embedded NATS server's data (events, keys, endpoints)."`
	NATSURL     string        `yaml:"nats_url" env:"EVTCTL_NATS_URL" doc:"External NATS JetStream cluster (comma-separated URLs); empty = embedded server."`
	NATSListen  string        `yaml:"nats_listen" doc:"host:port on which the embedded NATS server also accepts clients; empty = no network listener."`
	LeafListen  string        `yaml:"leaf_listen" doc:"host:port on which the embedded server accepts edges joining as leaf nodes (a cloud gateway without a NATS cluster of its own); empty = none."`
	LeafRemotes []string      `yaml:"leaf_remotes" doc:"NATS URLs of a cloud cluster the embedded server joins as a leaf node."`
	EdgeSources []string      `yaml:"edge_sources" doc:"server.name of each edge (joined as a leaf node) whose event log this gateway's log copies, catching up after outages."`
	Replicas    int           `yaml:"replicas" doc:"JetStream replicas of every stream and bucket: 1, 3 or 5; 0 = automatic: 3 on an external NATS cluster of three or more servers, else 1."`
	MaxAge      time.Duration `yaml:"max_age" doc:"How long recorded events are kept (resume, query, replay); 0 = forever."`
	MaxBytes    int64         `yaml:"max_bytes" doc:"Size cap of the event log in bytes, oldest dropped first; -1 = unlimited."`
	MaxStore    int64         `yaml:"max_store" doc:"Cap in bytes of everything the embedded NATS server stores (events, keys, webhook records); past it ingest answers 507 until room is freed; 0 = 75% of the disk space free at start (NATS's default). Ignored with nats_url."`
	DedupWindow time.Duration `yaml:"dedup_window" doc:"How long an event id is remembered to acknowledge re-sent events as duplicates; every id of the window is kept in memory (about 75 bytes each) and, with the embedded server, in DATA/dedup on disk (32 bytes each)."`
}

// WS is the WebSocket streams (docs/contract.md#streams).
type WS struct {
	Keepalive             time.Duration `yaml:"keepalive" doc:"Interval of the empty keep-alive text message on WebSocket streams."`
	WriteTimeout          time.Duration `yaml:"write_timeout" doc:"Time allowed for one WebSocket write before the connection is dropped."`
	EndpointRequiresToken bool          `yaml:"endpoint_requires_token" doc:"Also require a bearer token on /event-service/ws, not only the endpoint_id."`
}

// SSE is the Server-Sent Events streams (docs/contract.md#analysis-sse).
type SSE struct {
	Heartbeat   time.Duration `yaml:"heartbeat" doc:"Interval of the ': keep-alive' comment on SSE streams."`
	IdleTimeout time.Duration `yaml:"idle_timeout" doc:"An SSE stream without a data event for this long is closed."`
	Retry       time.Duration `yaml:"retry" doc:"Reconnection delay announced to SSE clients (the retry: field)."`
}

// Limits protect the node and share it fairly.
type Limits struct {
	SSEPerUser     int     `yaml:"sse_per_user" doc:"Concurrent SSE streams per owner across all nodes; the next one gets 429."`
	WSPerUser      int     `yaml:"ws_per_user" doc:"Concurrent WebSocket streams per owner across all nodes (composite and endpoint WebSockets; an endpoint's socket counts for the endpoint's owner); the next one gets 429."`
	MaxConnections int     `yaml:"max_connections" doc:"Concurrent streams on this node; the next one gets 503; 0 = unlimited."`
	ConnectRate    float64 `yaml:"connect_rate" doc:"New stream connections per second on this node; beyond it 503; 0 = unlimited."`
	ConnectBurst   int     `yaml:"connect_burst" doc:"Burst of new stream connections allowed above connect_rate."`
	QueueMessages  int     `yaml:"queue_messages" doc:"Per-connection queue in messages; a consumer past it is disconnected (slow consumer)."`
	QueueBytes     int64   `yaml:"queue_bytes" doc:"Per-connection queue in bytes; a consumer past it is disconnected (slow consumer). Queued frames are shared between connections, so this bounds lag, not memory per connection."`
	NodeQueueBytes int64   `yaml:"node_queue_bytes" doc:"Bytes queued for all stream connections of this node together, each frame counted once per connection it waits on; past it the connections with the longest queues are disconnected as slow consumers (WebSocket 4008) until the total is under 90 % of it; 0 = unlimited."`
	// Per-tenant resource quotas: a create past one answers 409
	// quota_exceeded (see docs/api.md).
	EndpointsPerTenant int `yaml:"endpoints_per_tenant" doc:"Endpoints one owner may have; creating one more answers 409 quota_exceeded; 0 = unlimited."`
	FiltersPerEndpoint int `yaml:"filters_per_endpoint" doc:"Event filters one endpoint may have; creating one more answers 409 quota_exceeded; 0 = unlimited."`
	RulesPerTenant     int `yaml:"rules_per_tenant" doc:"Composite rules one owner may have; creating one more answers 409 quota_exceeded; 0 = unlimited."`
	KeysPerTenant      int `yaml:"keys_per_tenant" doc:"API keys one owner may have; creating one more answers 409 quota_exceeded; 0 = unlimited."`
}

// Webhooks is webhook delivery (docs/contract.md#webhooks).
type Webhooks struct {
	AllowCIDRs      []string        `yaml:"allow_cidrs" doc:"CIDRs webhook targets may use although loopback, private, link-local or metadata."`
	Timeout         time.Duration   `yaml:"timeout" doc:"Time allowed for one webhook request, connection included."`
	RetrySchedule   []time.Duration `yaml:"retry_schedule" doc:"Delays between delivery attempts after a failure; [] = no retries."`
	Jitter          float64         `yaml:"jitter" doc:"Random spread applied to each retry delay, 0 to 1 (0.2 = +/-20%)."`
	Concurrency     int             `yaml:"concurrency" doc:"Requests in flight per webhook endpoint."`
	SecretGrace     time.Duration   `yaml:"secret_grace" doc:"How long a rotated signing secret still signs alongside the new one."`
	BreakerFailures int             `yaml:"breaker_failures" doc:"Consecutive failures that open an endpoint's circuit breaker."`
	BreakerCooldown time.Duration   `yaml:"breaker_cooldown" doc:"How long an open circuit breaker waits before trying the endpoint again."`
	RateLimit       float64         `yaml:"rate_limit" doc:"Deliveries per second per webhook endpoint; 0 = no limit. An endpoint's rate_limit overrides it."`
	DisableAfter    time.Duration   `yaml:"disable_after" doc:"Disable a webhook endpoint whose deliveries have all failed for this long; 0 = never."`
}

// Composite is composite-event derivation (rules over sound events).
type Composite struct {
	AllowedLateness time.Duration `yaml:"allowed_lateness" doc:"How late (by event time) a sound event may arrive and still join its composite window."`
	Enabled         bool          `yaml:"enabled" doc:"Derive composite events from the composite rules on this node."`
}

// Redact blanks chosen fields of delivered payloads.
type Redact struct {
	Fields []string `yaml:"fields" doc:"JSON paths blanked in delivered payloads: a.b = object keys, [] = every array element (microphone.console.password, events[].microphone.console.password)."`
}

// Default returns the configuration used when no file and no environment
// variable says otherwise.
func Default() *Config {
	return &Config{
		Server: Server{
			Listen:            "127.0.0.1:8100",
			ShutdownTimeout:   15 * time.Second,
			MaxBodyBytes:      16 << 20,
			ReadHeaderTimeout: 10 * time.Second,
		},
		Log: Log{
			Level:  "info",
			Format: "auto",
		},
		Storage: Storage{
			DataDir:     "evtctl-data",
			Replicas:    0,
			MaxAge:      168 * time.Hour,
			MaxBytes:    -1,
			DedupWindow: 30 * time.Minute,
		},
		WS: WS{
			Keepalive:    30 * time.Second,
			WriteTimeout: 10 * time.Second,
		},
		SSE: SSE{
			Heartbeat:   15 * time.Second,
			IdleTimeout: 300 * time.Second,
			Retry:       3 * time.Second,
		},
		Limits: Limits{
			SSEPerUser:     10,
			WSPerUser:      100,
			MaxConnections: 18000,
			ConnectRate:    2000,
			ConnectBurst:   2000,
			QueueMessages:  8192,
			QueueBytes:     16 << 20,
			NodeQueueBytes: 256 << 20,

			EndpointsPerTenant: 100,
			FiltersPerEndpoint: 50,
			RulesPerTenant:     100,
			KeysPerTenant:      100,
		},
		Webhooks: Webhooks{
			Timeout: 10 * time.Second,
			RetrySchedule: []time.Duration{
				5 * time.Second, 5 * time.Minute, 30 * time.Minute,
				2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
			},
			Jitter:          0.2,
			Concurrency:     16,
			SecretGrace:     24 * time.Hour,
			BreakerFailures: 5,
			DisableAfter:    5 * 24 * time.Hour,
			BreakerCooldown: 30 * time.Second,
		},
		Composite: Composite{
			AllowedLateness: 5 * time.Second,
			Enabled:         true,
		},
		Auth: defaultAuth(),
	}
}

// Resolve fills the defaults that depend on the machine: Server.Name becomes
// the host name when empty. Load does not call it (so that a loaded config
// compares equal to what was written); the server calls it after Load.
func (c *Config) Resolve() {
	if c.Server.Name == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			c.Server.Name = h
		} else {
			c.Server.Name = "evtctl"
		}
	}
}
