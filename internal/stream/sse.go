package stream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/hub"
	"github.com/evtctl/evtctl/internal/query"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// sseHead is the response head of every SSE stream. The body is delimited
// by the connection's end (HTTP/1.1 allows it without Content-Length), so
// frames need no chunk headers and every queued frame is written as is.
const sseHead = "HTTP/1.1 200 OK\r\n" +
	"Content-Type: text/event-stream\r\n" +
	"Cache-Control: no-cache\r\n" +
	"Connection: close\r\n" +
	"X-Accel-Buffering: no\r\n" +
	"\r\n"

// serveAnalysis serves both SSE analysis routes (one device, or all).
func (s *Service) serveAnalysis(w http.ResponseWriter, r *http.Request) {
	mark := s.now()
	p, _ := auth.From(r.Context())
	devices, herr := analysisDevices(r, p)
	if herr != nil {
		httpapi.WriteError(w, herr)
		return
	}
	for _, device := range devices {
		if err := s.checkDevice(r.Context(), p, device); err != nil {
			httpapi.WriteError(w, err)
			return
		}
	}
	var after uint64
	cursor, field := r.Header.Get("Last-Event-ID"), "Last-Event-ID"
	if cursor == "" {
		cursor, field = r.URL.Query().Get("last_event_id"), "last_event_id"
	}
	if cursor = strings.TrimSpace(cursor); cursor != "" {
		n, err := query.ParseCursor(field, cursor)
		if err != nil {
			var e *httpapi.Error
			errors.As(err, &e)
			httpapi.WriteError(w, e)
			return
		}
		after = n
	}
	k := s.kinds.analysis
	release, aerr := s.admit.Admit(r.Context(), k.webSocket, p.Owner)
	if aerr != nil {
		s.metrics.StreamRejected.WithLabelValues(k.hub.Name, aerr.Code).Inc()
		httpapi.WriteError(w, aerr)
		return
	}
	// An admin's stream of all devices is every tenant's; of some
	// devices, its own tenant's.
	tenant := p.Owner
	if p.Admin() && len(devices) == 0 {
		tenant = ""
	}
	// One key and one log subject per device (or the tenant's when all).
	var keys []hub.Key
	var subjects []string
	if len(devices) == 0 {
		keys = []hub.Key{analysisKey(tenant, "")}
		subjects = []string{store.Filter{Family: string(proto.FamilyAnalysis), Owner: tenant}.Subject()}
	}
	for _, device := range devices {
		keys = append(keys, analysisKey(tenant, device))
		subjects = append(subjects, store.Filter{Family: string(proto.FamilyAnalysis), Owner: tenant, DeviceID: device}.Subject())
	}

	// A resume from a cursor older than the log's oldest event continues
	// from the oldest one, and says so first, when events after the cursor
	// were really removed (not for a cursor before the first event of a
	// log that never lost any).
	var gap []byte
	if after > 0 {
		st, err := s.events.State(r.Context())
		if err != nil {
			release()
			httpapi.WriteError(w, httpapi.Errorf(http.StatusServiceUnavailable, proto.CodeUnavailable, "Storage is not available: %v.", err))
			return
		}
		if st.Lost(after) {
			gap = sseEvent("gap", "", mustJSON(gapNotice{
				Requested:   query.FormatCursor(after),
				ResumedFrom: query.FormatCursor(st.FirstSeq),
				Message:     "Events after the requested cursor are older than the retention period; resuming from the oldest kept event.",
			}))
		}
	}

	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		release()
		httpapi.WriteError(w, httpapi.Errorf(http.StatusInternalServerError, proto.CodeInternal, "This connection cannot carry an SSE stream: %v.", err))
		return
	}
	if brw.Reader.Buffered() > 0 {
		// A pipelined request after a stream request makes no sense.
		release()
		_ = conn.Close()
		return
	}
	first := [][]byte{sseHeadFor(w.Header()), sseRetry(s.cfg.SSE.Retry)}
	if gap != nil {
		first = append(first, gap)
	}
	sess := s.open(opening{
		kind:    k,
		conn:    conn,
		sub:     hub.Subscription{Keys: sessionKeys(p.KeyID, keys...)},
		keyID:   p.KeyID,
		expires: p.ExpiresAt,
		first:   first,
		from:    catchUp{resume: after > 0, after: after, mark: mark, subjects: subjects},
		release: release,
	})
	s.watchClient(conn, sess, &sseIn{sess: sess})
}

// MaxStreamDevices bounds the devices one analysis stream follows
// (?device_id= of the all-devices stream, or a token's device list).
const MaxStreamDevices = 100

// analysisDevices returns the devices an analysis stream follows: the
// path's device, or the all-devices stream's ?device_id= (repeated or
// comma-separated), or else the token's device list; none means all the
// tenant's devices. A token with a device list allows only those (403
// naming the first other one).
func analysisDevices(r *http.Request, p auth.Principal) ([]string, *httpapi.Error) {
	field := "device_id"
	var devices []string
	if d := r.PathValue("id"); d != "" {
		field, devices = "id", []string{d}
	} else {
		seen := map[string]bool{}
		for _, v := range r.URL.Query()["device_id"] {
			for _, d := range strings.Split(v, ",") {
				if d = strings.TrimSpace(d); d == "" {
					return nil, httpapi.Invalid(field, "must not be empty")
				}
				if !seen[d] {
					seen[d] = true
					devices = append(devices, d)
				}
				if len(devices) > MaxStreamDevices {
					return nil, httpapi.Invalid(field, fmt.Sprintf("names more than %d devices; open several streams", MaxStreamDevices))
				}
			}
		}
	}
	for _, d := range devices {
		if reason := proto.CheckIdent(d); reason != "" {
			return nil, httpapi.Invalid(field, reason)
		}
	}
	if p.Devices == nil {
		return devices, nil
	}
	if len(devices) == 0 {
		if len(p.Devices) > MaxStreamDevices {
			return nil, httpapi.Invalid(field, fmt.Sprintf("the token allows more than %d devices; name some with device_id", MaxStreamDevices))
		}
		return slices.Clone(p.Devices), nil
	}
	for _, d := range devices {
		if !p.MayStream(d) {
			return nil, httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden, "This token may not stream device %q.", httpapi.Clip(d))
		}
	}
	return devices, nil
}

// checkDevice refuses another tenant's device. A device is known by the
// events recorded for it; a device with no events anywhere yet is allowed
// (a dashboard may open before the first result), one whose events all
// belong to another tenant is "not found", so ids are not disclosed.
func (s *Service) checkDevice(ctx context.Context, p auth.Principal, device string) *httpapi.Error {
	if p.Admin() {
		return nil
	}
	mine := store.Filter{Family: string(proto.FamilyAnalysis), Owner: p.Owner, DeviceID: device}.Subject()
	if _, err := s.events.Last(ctx, mine); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return httpapi.Errorf(http.StatusServiceUnavailable, proto.CodeUnavailable, "Storage is not available: %v.", err)
	}
	anyone := store.Filter{Family: string(proto.FamilyAnalysis), DeviceID: device}.Subject()
	if _, err := s.events.Last(ctx, anyone); err == nil {
		return httpapi.Errorf(http.StatusNotFound, proto.CodeNotFound, "No device %s.", fmt.Sprintf("%q", device))
	}
	return nil
}
