package tail

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/evtctl/evtctl/pkg/proto"
)

// Kind is a source's transport.
type Kind int

// Transports.
const (
	WebSocket Kind = iota // ws:// or wss://
	SSE                   // http:// or https://
)

// Paths of the gateway's streams (docs/contract.md#streams).
const (
	compositePath   = "/api/v1/ws/composite-events"
	endpointPath    = "/event-service/ws"
	analysisAllPath = "/api/v1/devices/analysis/stream/all"
)

// Spec is one source to follow.
type Spec struct {
	// Name labels the source's items and status lines.
	Name string
	URL  *url.URL
	Kind Kind
	// Family is the family every event of this source has, or "" when it
	// must be inferred from each payload.
	Family proto.Family
	// ResumeAfter: on the composite WebSocket, reconnects add
	// ?after=<last composite id>. SSE sources always resume by
	// Last-Event-ID.
	ResumeAfter bool
	// After is where the first connection starts ("" = live): an SSE cursor
	// or a composite id.
	After string
	// Header is sent on this source's connections on top of Options.Header
	// (e.g. the gateway token, only to the gateway's own host).
	Header http.Header
	// History, for the gateway's own streams, is the query of
	// GET /api/v1/events on Gateway that returns this stream's recorded
	// events (tail --since); nil when the source cannot be replayed.
	History url.Values
	Gateway *url.URL
}

// ParseArgs turns `evtctl tail` arguments into sources. An argument is a
// ws(s):// URL, an http(s):// URL, or a shortcut against server:
//
//	composites      the composite WebSocket
//	analysis        the SSE analysis stream of all devices, or of each of devices
//	endpoint ID     the endpoint WebSocket of endpoint ID
//
// Errors are sentences fit for a usage error.
func ParseArgs(args []string, server *url.URL, devices []string) ([]Spec, error) {
	var specs []Spec
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "composites":
			specs = append(specs, Spec{Name: "composites", URL: streamURL(server, true, compositePath, nil), Kind: WebSocket, Family: proto.FamilyComposite, ResumeAfter: true,
				History: url.Values{"family": {string(proto.FamilyComposite)}}, Gateway: server})
		case a == "analysis":
			if len(devices) == 0 {
				specs = append(specs, Spec{Name: "analysis", URL: streamURL(server, false, analysisAllPath, nil), Kind: SSE, Family: proto.FamilyAnalysis,
					History: url.Values{"family": {string(proto.FamilyAnalysis)}}, Gateway: server})
			}
			for _, d := range devices {
				u := streamURL(server, false, "/api/v1/devices/"+d+"/analysis/stream", nil)
				// A device id is one path segment even if it holds a "/".
				u.RawPath = strings.TrimRight(server.EscapedPath(), "/") + "/api/v1/devices/" + url.PathEscape(d) + "/analysis/stream"
				specs = append(specs, Spec{Name: "analysis:" + d, URL: u, Kind: SSE, Family: proto.FamilyAnalysis,
					History: url.Values{"family": {string(proto.FamilyAnalysis)}, "device_id": {d}}, Gateway: server})
			}
		case a == "endpoint":
			if i+1 >= len(args) || args[i+1] == "" {
				return nil, fmt.Errorf("the endpoint shortcut needs an endpoint id: evtctl tail endpoint ID")
			}
			i++
			id := args[i]
			specs = append(specs, Spec{Name: "endpoint:" + id, URL: streamURL(server, true, endpointPath, url.Values{"endpoint_id": {id}}), Kind: WebSocket})
		case strings.Contains(a, "://"):
			s, err := parseURL(a)
			if err != nil {
				return nil, err
			}
			specs = append(specs, s)
		default:
			return nil, fmt.Errorf("unknown source %q: use a ws://, wss://, http:// or https:// URL, or composites, analysis, endpoint ID", a)
		}
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("name at least one source (a URL, composites, analysis or endpoint ID)")
	}
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.Name] {
			return nil, fmt.Errorf("source %s is named twice", s.Name)
		}
		seen[s.Name] = true
	}
	return specs, nil
}

// parseURL classifies a URL source and recognises the gateway's own stream
// paths so they get their family and resume behaviour.
func parseURL(raw string) (Spec, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Spec{}, fmt.Errorf("invalid source URL %q", raw)
	}
	s := Spec{Name: u.Host + u.Path, URL: u}
	switch u.Scheme {
	case "ws", "wss":
		s.Kind = WebSocket
		if strings.HasSuffix(u.Path, compositePath) {
			s.Family, s.ResumeAfter = proto.FamilyComposite, true
			if after := u.Query().Get("after"); after != "" {
				s.After = after
				q := u.Query()
				q.Del("after")
				u.RawQuery = q.Encode()
			}
		}
	case "http", "https":
		s.Kind = SSE
		if strings.HasSuffix(u.Path, "/analysis/stream") || strings.HasSuffix(u.Path, analysisAllPath) {
			s.Family = proto.FamilyAnalysis
		}
	default:
		return Spec{}, fmt.Errorf("unsupported scheme in %q: use ws, wss (WebSocket), http or https (SSE)", raw)
	}
	if u.User != nil {
		return Spec{}, fmt.Errorf("put credentials in --token or -H, not in the URL %q", u.Redacted())
	}
	return s, nil
}

// streamURL builds a stream URL on the gateway at server.
func streamURL(server *url.URL, ws bool, path string, q url.Values) *url.URL {
	u := *server
	if ws {
		u.Scheme = map[string]string{"http": "ws", "https": "wss"}[server.Scheme]
	}
	u.Path = strings.TrimRight(server.Path, "/") + path
	u.RawPath = ""
	u.RawQuery = q.Encode()
	return &u
}
