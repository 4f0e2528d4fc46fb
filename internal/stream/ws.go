package stream

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/hub"
	"github.com/evtctl/evtctl/internal/query"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// helloFrame is the composite WebSocket's greeting, sent once on accept
// (docs/sources.md#composite-ws-protocol).
var helloFrame = wsText([]byte("hello"))

func writeError(w http.ResponseWriter, status int, msg string) {
	code := proto.CodeBadRequest
	if status == http.StatusForbidden {
		code = proto.CodeForbidden
	}
	httpapi.WriteError(w, httpapi.Errorf(status, code, "%s", msg))
}

// serveComposite serves GET /api/v1/ws/composite-events[?after=<id>].
func (s *Service) serveComposite(w http.ResponseWriter, r *http.Request) {
	mark := s.now()
	p, _ := auth.From(r.Context())
	if p.Devices != nil {
		// As on the REST composite routes: a composite gathers every
		// device's events.
		httpapi.WriteError(w, httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden,
			"This token is limited to some devices; composite events gather every device's and are not for it."))
		return
	}
	var after uint64
	resume := false
	if id := r.URL.Query().Get("after"); id != "" {
		if reason := proto.CheckIdent(id); reason != "" {
			httpapi.WriteError(w, httpapi.Invalid("after", reason))
			return
		}
		resume = true
		subject := store.CompositeAddress(p.Owner, id).Subject()
		if p.Admin() {
			subject = store.Filter{Family: string(proto.FamilyComposite), DeviceID: id, EventType: "composite"}.Subject()
		}
		rec, err := s.events.Last(r.Context(), subject)
		if errors.Is(err, store.ErrNotFound) {
			httpapi.WriteError(w, httpapi.Errorf(http.StatusNotFound, proto.CodeNotFound,
				"No composite event %q to resume after (unknown, another tenant's, or older than retention).", httpapi.Clip(id)))
			return
		}
		if err != nil {
			httpapi.WriteError(w, httpapi.Errorf(http.StatusServiceUnavailable, proto.CodeUnavailable, "Storage is not available: %v.", err))
			return
		}
		after = rec.Seq
	}
	tenant := p.Owner
	if p.Admin() {
		tenant = "" // every tenant
	}
	filter := store.Filter{Family: string(proto.FamilyComposite), Owner: tenant}
	s.serveWS(w, r, p.Owner, opening{
		kind:    s.kinds.composite,
		sub:     hub.Subscription{Keys: sessionKeys(p.KeyID, compositeKey(tenant))},
		keyID:   p.KeyID,
		expires: p.ExpiresAt,
		first:   [][]byte{helloFrame},
		from:    catchUp{resume: resume, after: after, mark: mark, subjects: []string{filter.Subject()}},
	})
}

// serveEndpoint serves GET /event-service/ws?endpoint_id=<id>.
func (s *Service) serveEndpoint(w http.ResponseWriter, r *http.Request) {
	mark := s.now()
	id := r.URL.Query().Get("endpoint_id")
	if id == "" {
		httpapi.WriteError(w, httpapi.Invalid("endpoint_id", "is required"))
		return
	}
	var ep proto.Endpoint
	ok := false
	if s.endpoints != nil {
		ep, ok = s.endpoints.Endpoint(id)
	}
	if !ok || ep.Type != proto.EndpointWebSocket {
		httpapi.WriteError(w, httpapi.NotFound("websocket endpoint", id))
		return
	}
	if !ep.Enabled {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden, "Endpoint %q is disabled.", id))
		return
	}
	var keyID string
	var expires time.Time
	if s.cfg.WS.EndpointRequiresToken {
		p, err := s.keys.Authenticate(auth.BearerToken(r, true))
		if err != nil {
			httpapi.WriteError(w, httpapi.Errorf(http.StatusUnauthorized, proto.CodeUnauthorized, "This gateway requires an API key on endpoint WebSockets."))
			return
		}
		if !p.CanSee(ep.Owner) {
			httpapi.WriteError(w, httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden, "This key belongs to another tenant than the endpoint."))
			return
		}
		keyID, expires = p.KeyID, p.ExpiresAt
	}
	from, herr := s.endpointStart(r, id)
	if herr != nil {
		httpapi.WriteError(w, herr)
		return
	}
	from.mark, from.subjects = mark, []string{store.Filter{Owner: ep.Owner}.Subject()}
	s.serveWS(w, r, ep.Owner, opening{
		kind:    s.kinds.endpoint,
		sub:     hub.Subscription{Keys: sessionKeys(keyID, endpointsKey(ep.Owner), endpointKey(id)), Match: s.endpointMatcher(id)},
		keyID:   keyID,
		expires: expires,
		from:    from,
		// Every socket of the endpoint gets every event (fan-out); the
		// endpoint's position is the furthest any of them wrote.
		opened: func(sess *hub.Session) { s.positions.Track(id, sess) },
		ended:  s.positions.Ended,
	})
}

// endpointStart is where an endpoint socket starts
// (docs/endpoints.md#websocket-resume): after ?after=<cursor>; from the
// events arriving from now on with ?from=now; by default after the
// endpoint's remembered position, the last event written to any of its
// sockets (from now on when none was ever written).
func (s *Service) endpointStart(r *http.Request, id string) (catchUp, *httpapi.Error) {
	q := r.URL.Query()
	after, from := q.Get("after"), q.Get("from")
	switch {
	case after != "" && from != "":
		return catchUp{}, httpapi.Invalid("from", "cannot be combined with after")
	case after != "":
		n, err := query.ParseCursor("after", after)
		if err != nil {
			var e *httpapi.Error
			errors.As(err, &e)
			return catchUp{}, e
		}
		return catchUp{resume: true, after: n}, nil
	case from == "now":
		return catchUp{}, nil
	case from != "":
		return catchUp{}, httpapi.Invalid("from", `must be "now" (or leave it out to continue from the endpoint's position)`)
	}
	seq, ok, err := s.positions.Get(r.Context(), id)
	if err != nil {
		return catchUp{}, httpapi.Errorf(http.StatusServiceUnavailable, proto.CodeUnavailable, "Storage is not available: %v.", err)
	}
	return catchUp{resume: ok, after: seq}, nil
}

// serveWS admits a WebSocket stream counted against owner's quota,
// upgrades, opens the session (which catches up first) and returns,
// leaving the connection to the hub's writer and the poller
// (clientwatch.go). Only the socket is kept: gorilla's Conn, which did
// the handshake, is dropped with its buffers.
func (s *Service) serveWS(w http.ResponseWriter, r *http.Request, owner string, o opening) {
	release, aerr := s.admit.Admit(r.Context(), o.kind.webSocket, owner)
	if aerr != nil {
		s.metrics.StreamRejected.WithLabelValues(o.kind.hub.Name, aerr.Code).Inc()
		httpapi.WriteError(w, aerr)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		release() // the upgrader already answered the client
		return
	}
	// NetConn is the socket, or a wrapper holding bytes the client sent
	// right after its handshake, read first.
	o.conn, o.release = conn.NetConn(), release
	sess := s.open(o)
	s.watchClient(o.conn, sess, &wsIn{sess: sess})
}

// gapNotice is the data of the SSE `gap` event.
type gapNotice struct {
	Requested   string `json:"requested_cursor"`
	ResumedFrom string `json:"resumed_from_cursor"`
	Message     string `json:"message"`
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
