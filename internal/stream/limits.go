package stream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"golang.org/x/time/rate"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Admission decides whether a new stream connection may open: the
// node-wide connection cap and connection rate (503, protecting the node)
// and the per-owner SSE and WebSocket caps across the cluster (429, a
// user's quota).
type Admission struct {
	maxConns int
	rate     *rate.Limiter
	sse, ws  *Quota
	mu       sync.Mutex
	open     int
	stopped  bool // Wait was called: releases run in their caller

	releasing sync.WaitGroup // quota releases in flight
}

// Wait waits for the quota releases in flight. A stream that ends after
// Wait was called (its handler was still running) releases its quota in
// its caller, so nothing outlives Wait.
func (a *Admission) Wait() {
	a.mu.Lock()
	a.stopped = true
	a.mu.Unlock()
	a.releasing.Wait()
}

// NewAdmission creates the admission control. Zero values disable the
// node-wide limits; sse and ws (either may be nil) enforce the per-owner
// limits of limits.sse_per_user and limits.ws_per_user.
func NewAdmission(maxConns int, perSecond float64, burst int, sse, ws *Quota) *Admission {
	a := &Admission{maxConns: maxConns, sse: sse, ws: ws}
	if perSecond > 0 {
		if burst < 1 {
			burst = 1
		}
		a.rate = rate.NewLimiter(rate.Limit(perSecond), burst)
	}
	return a
}

// Admit reserves a slot for a stream whose quota is owner's (the
// WebSocket quota when webSocket is set, else the SSE quota); release must
// be called when the stream ends.
func (a *Admission) Admit(ctx context.Context, webSocket bool, owner string) (release func(), err *httpapi.Error) {
	if a.rate != nil && !a.rate.Allow() {
		return nil, &httpapi.Error{Status: http.StatusServiceUnavailable, Code: proto.CodeOverloaded, RetryAfter: 1,
			Message: "Too many new stream connections on this node right now; retry shortly."}
	}
	a.mu.Lock()
	if a.maxConns > 0 && a.open >= a.maxConns {
		a.mu.Unlock()
		return nil, &httpapi.Error{Status: http.StatusServiceUnavailable, Code: proto.CodeOverloaded, RetryAfter: 5,
			Message: "This node holds its maximum number of stream connections; retry later or connect to another node."}
	}
	a.open++
	a.mu.Unlock()
	sl := &slot{a: a}
	q := a.sse
	if webSocket {
		q = a.ws
	}
	if owner != "" && q != nil {
		if qerr := q.Acquire(ctx, owner); qerr != nil {
			sl.release()
			if errors.Is(qerr, ErrQuotaExceeded) {
				full := "This user already has the maximum number of concurrent SSE streams open; close one first."
				if webSocket {
					full = fmt.Sprintf("This user already has the maximum number of concurrent WebSocket streams open (%d, limits.ws_per_user); close one first.", a.ws.Limit())
				}
				return nil, &httpapi.Error{Status: http.StatusTooManyRequests, Code: proto.CodeTooManyStreams, RetryAfter: 3, Message: full}
			}
			return nil, &httpapi.Error{Status: http.StatusServiceUnavailable, Code: proto.CodeUnavailable, RetryAfter: 1,
				Message: "The stream quota could not be checked (storage unavailable); retry shortly."}
		}
		sl.q, sl.owner = q, owner
	}
	return sl.release, nil
}

// slot is one admitted stream's place: on the node, and in its owner's
// quota when q is set. One small object, not a chain of closures: an idle
// stream keeps it until it ends.
type slot struct {
	a        *Admission
	q        *Quota
	owner    string
	released atomic.Bool
}

// release gives the slot back, once.
func (sl *slot) release() {
	if sl.released.Swap(true) {
		return
	}
	a := sl.a
	a.mu.Lock()
	a.open--
	if sl.q == nil {
		a.mu.Unlock()
		return
	}
	if a.stopped {
		a.mu.Unlock()
		sl.q.Release(sl.owner)
		return
	}
	// The quota lives in storage: release it off the caller's path (the
	// hub's writer goroutine calls this when a session ends), on a
	// goroutine Wait waits for.
	a.releasing.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.releasing.Done()
		sl.q.Release(sl.owner)
	}()
}
