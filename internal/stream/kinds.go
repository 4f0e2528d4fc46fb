package stream

import (
	"strconv"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/hub"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// The kinds of stream are described here and nowhere else: the hub keys its
// sessions by the hub.Keys below and knows nothing of tenants, devices,
// endpoints or API keys. A kind is its hub.Kind (metrics name, keep-alive,
// closing frames), its framing, and the keys a record goes to; its handler
// registers its sessions under the matching keys. Adding a kind means a
// kind here, a handler and a route, and no change to the hub.

// Reasons a stream ends besides the hub's own (metrics label values).
const (
	ReasonKeyRevoked      = "key_revoked"
	ReasonKeyExpired      = "key_expired"
	ReasonTokenExpired    = "token_expired" // a JWT's exp
	ReasonEndpointRemoved = "endpoint_removed"
)

// Keys. A "tenant" argument of "" stands for every tenant (admin keys).
func compositeKey(tenant string) hub.Key { return hub.Key("composite\x00" + tenant) }

// analysisKey: the analysis stream of one device of owner, or of all the
// tenant's devices when device is "".
func analysisKey(tenant, device string) hub.Key {
	return hub.Key("analysis\x00" + tenant + "\x00" + device)
}

// endpointsKey holds every endpoint WebSocket of an owner; each session
// filters the owner's records with its endpoint's filters (Match).
func endpointsKey(owner string) hub.Key { return hub.Key("endpoints\x00" + owner) }

// endpointKey and apiKeyKey are never routed to: they close an endpoint's
// sessions when it goes away and an API key's when it is revoked.
func endpointKey(id string) hub.Key { return hub.Key("endpoint\x00" + id) }
func apiKeyKey(id string) hub.Key   { return hub.Key("apikey\x00" + id) }

// sessionKeys returns keys plus the API key's closing key, if any (a JWT
// has none: it cannot be revoked, its exp closes its streams).
func sessionKeys(keyID string, keys ...hub.Key) []hub.Key {
	if keyID != "" && keyID != auth.JWTKeyID {
		keys = append(keys, apiKeyKey(keyID))
	}
	return keys
}

// framing is how a record becomes a frame. Kinds with the same framing
// share each record's frame; catch-up uses the same framing.
type framing struct {
	encode func(rec store.Record, payload []byte) []byte
}

var (
	// wsMessage: the text message of the composite and endpoint WebSockets,
	// the event's JSON (docs/contract.md#streams).
	wsMessage = &framing{encode: func(_ store.Record, p []byte) []byte { return wsText(p) }}
	// analysisEvent: the SSE analysis_result event, whose id is the cursor
	// (docs/contract.md#analysis-sse).
	analysisEvent = &framing{encode: func(rec store.Record, p []byte) []byte {
		return sseEvent("analysis_result", strconv.FormatUint(rec.Seq, 10), p)
	}}
)

// kind is one kind of stream.
type kind struct {
	hub       hub.Kind
	framing   *framing
	webSocket bool // counts against limits.ws_per_user, else sse_per_user
	// keys appends the keys a record goes to (none: not for this kind).
	keys func(rec store.Record, dst []hub.Key) []hub.Key
}

// kinds are the kinds of stream the service serves.
type kinds struct {
	composite, analysis, endpoint *kind
}

func (ks *kinds) all() [3]*kind { return [3]*kind{ks.composite, ks.analysis, ks.endpoint} }

func newKinds(ws config.WS, sse config.SSE) *kinds {
	return &kinds{
		composite: &kind{
			hub:     hub.Kind{Name: "ws_composite", KeepAlive: wsKeepAlive, KeepAliveEvery: ws.Keepalive, Final: wsFinal},
			framing: wsMessage, webSocket: true,
			keys: func(rec store.Record, dst []hub.Key) []hub.Key {
				if rec.Address.Family != string(proto.FamilyComposite) {
					return dst
				}
				return append(dst, compositeKey(rec.Address.Owner), compositeKey(""))
			},
		},
		analysis: &kind{
			hub: hub.Kind{Name: "sse_analysis", KeepAlive: sseComment("keep-alive"), KeepAliveEvery: sse.Heartbeat,
				IdleAfter: sse.IdleTimeout},
			framing: analysisEvent,
			keys: func(rec store.Record, dst []hub.Key) []hub.Key {
				if rec.Address.Family != string(proto.FamilyAnalysis) {
					return dst
				}
				owner := rec.Address.Owner
				return append(dst, analysisKey(owner, rec.Address.DeviceID), analysisKey(owner, ""), analysisKey("", ""))
			},
		},
		endpoint: &kind{
			hub:     hub.Kind{Name: "ws_endpoint", KeepAlive: wsKeepAlive, KeepAliveEvery: ws.Keepalive, Final: wsFinal},
			framing: wsMessage, webSocket: true,
			keys: func(rec store.Record, dst []hub.Key) []hub.Key {
				return append(dst, endpointsKey(rec.Address.Owner))
			},
		},
	}
}

// wsCloses are the close frames of the WebSocket kinds, by reason.
var wsCloses = map[string][]byte{
	// A write that timed out is a slow consumer too: its kernel buffers
	// filled before its queue did.
	hub.ReasonSlowConsumer: wsClose(4008, "slow consumer: resume with ?after="),
	hub.ReasonWriteTimeout: wsClose(4008, "slow consumer: resume with ?after="),
	hub.ReasonShutdown:     wsClose(1001, "server shutting down"),
	ReasonKeyRevoked:       wsClose(1008, "API key revoked"),
	ReasonKeyExpired:       wsClose(1008, "API key expired"),
	ReasonTokenExpired:     wsClose(1008, "token expired"),
	ReasonEndpointRemoved:  wsClose(1008, "endpoint deleted or disabled"),
	hub.ReasonIdle:         wsClose(1000, "idle"),
}

// wsFinal is the hub.Kind.Final of the WebSocket kinds.
func wsFinal(reason string) []byte { return wsCloses[reason] }

// route is the hub's Router: for every kind, the keys a record goes to,
// with the kind's frame, encoded (and the payload redacted) at most once
// per record and framing, and only when a session receives it.
func (s *Service) route(rec store.Record, to func(hub.Key, *hub.Frame)) {
	var payload []byte
	redacted := false
	type made struct {
		framing *framing
		frame   *hub.Frame
	}
	var madeBuf [2]made
	frames := madeBuf[:0]
	var keyBuf [4]hub.Key
	for _, k := range s.kinds.all() {
		keys := k.keys(rec, keyBuf[:0])
		if len(keys) == 0 {
			continue
		}
		var f *hub.Frame
		for _, m := range frames {
			if m.framing == k.framing {
				f = m.frame
			}
		}
		if f == nil {
			fr := k.framing
			f = hub.NewFrame(func() []byte {
				if !redacted {
					payload, redacted = s.payload(rec), true
				}
				return fr.encode(rec, payload)
			})
			frames = append(frames, made{fr, f})
		}
		for _, key := range keys {
			to(key, f)
		}
	}
}

// payload is the event's payload as delivered (after redaction).
func (s *Service) payload(rec store.Record) []byte {
	if s.transform != nil {
		return s.transform(rec)
	}
	return rec.Data
}

// frame is a record's frame for kind k outside the live fan-out (catch-up).
func (s *Service) frame(k *kind, rec store.Record) []byte {
	return k.framing.encode(rec, s.payload(rec))
}

// newHub creates the hub of the service's kinds.
func (s *Service) newHub() *hub.Hub {
	s.kinds = newKinds(s.cfg.WS, s.cfg.SSE)
	s.transform = redactor(s.cfg.Redact.Fields)
	return hub.New(hub.Options{
		Limits: hub.Limits{
			QueueMessages: s.cfg.Limits.QueueMessages,
			QueueBytes:    s.cfg.Limits.QueueBytes,
			WriteTimeout:  s.cfg.WS.WriteTimeout,
		},
		NodeQueueBytes: s.cfg.Limits.NodeQueueBytes,
		Route:          s.route,
		Metrics:        s.metrics,
	})
}

// closeKey ends the streams of a revoked API key.
func (s *Service) closeKey(id string) { s.hub.Close(apiKeyKey(id), ReasonKeyRevoked) }

// closeEndpoint ends the streams of an endpoint deleted or disabled.
func (s *Service) closeEndpoint(id string) { s.hub.Close(endpointKey(id), ReasonEndpointRemoved) }
