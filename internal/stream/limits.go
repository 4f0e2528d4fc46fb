package stream

import (
	"net/http"
	"sync"

	"golang.org/x/time/rate"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Admission decides whether a new stream connection may open: the
// node-wide connection cap and connection rate (503, protecting the node)
// and the per-owner SSE cap (429, a user's quota).
type Admission struct {
	maxConns   int
	sseLimit   int
	rate       *rate.Limiter
	mu         sync.Mutex
	open       int
	sseByOwner map[string]int
}

// NewAdmission creates the admission control. Zero values disable a limit.
func NewAdmission(maxConns, ssePerUser int, perSecond float64, burst int) *Admission {
	a := &Admission{maxConns: maxConns, sseLimit: ssePerUser, sseByOwner: map[string]int{}}
	if perSecond > 0 {
		if burst < 1 {
			burst = 1
		}
		a.rate = rate.NewLimiter(rate.Limit(perSecond), burst)
	}
	return a
}

// Admit reserves a slot; release must be called when the stream ends.
// sseOwner is the owner whose SSE quota applies ("" for WebSocket).
func (a *Admission) Admit(sseOwner string) (release func(), err *httpapi.Error) {
	if a.rate != nil && !a.rate.Allow() {
		return nil, &httpapi.Error{Status: http.StatusServiceUnavailable, Code: proto.CodeOverloaded, RetryAfter: 1,
			Message: "Too many new stream connections on this node right now; retry shortly."}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.maxConns > 0 && a.open >= a.maxConns {
		return nil, &httpapi.Error{Status: http.StatusServiceUnavailable, Code: proto.CodeOverloaded, RetryAfter: 5,
			Message: "This node holds its maximum number of stream connections; retry later or connect to another node."}
	}
	if sseOwner != "" && a.sseLimit > 0 && a.sseByOwner[sseOwner] >= a.sseLimit {
		return nil, &httpapi.Error{Status: http.StatusTooManyRequests, Code: proto.CodeTooManyStreams, RetryAfter: 3,
			Message: "This user already has the maximum number of concurrent SSE streams open; close one first."}
	}
	a.open++
	if sseOwner != "" {
		a.sseByOwner[sseOwner]++
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			a.open--
			if sseOwner != "" {
				if a.sseByOwner[sseOwner]--; a.sseByOwner[sseOwner] <= 0 {
					delete(a.sseByOwner, sseOwner)
				}
			}
			a.mu.Unlock()
		})
	}, nil
}
