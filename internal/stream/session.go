package stream

import (
	"context"
	"net"
	"sync/atomic"
	"time"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/hub"
	"github.com/evtctl/evtctl/internal/store"
)

// opening is what a stream handler hands to open: the session to register
// and the history it catches up on first.
type opening struct {
	kind *kind
	conn net.Conn
	// sub's Kind is set by open; Keys and Match are the handler's.
	sub hub.Subscription
	// keyID is the API key the stream was opened with ("" for none): its
	// revocation or expiry closes the stream.
	keyID string
	// expires is the exp of the JWT the stream was opened with
	// (auth.Principal.ExpiresAt; zero for an API key, whose expiry the key
	// store holds): the stream closes then, "token expired".
	expires time.Time
	// first are written before anything else (SSE head, hello message).
	first   [][]byte
	from    catchUp
	release func() // the admission slot, released when the session ends
	// opened, when set, is called with the session once registered (it
	// may have ended already), and ended once it has ended (possibly
	// before opened was called).
	opened func(*hub.Session)
	ended  func()
}

// catchUp says which history a new session is sent before its live frames
// ("catch-up"; not to be confused with `evtctl replay`, which re-ingests
// files, nor with an endpoint's webhook replay).
type catchUp struct {
	// resume is set when the client gave a cursor; after is its position.
	resume bool
	after  uint64
	// mark is the newest event when the request arrived (Service.now). A
	// session with no cursor starts after it: it catches up on what the
	// hub dispatched between mark and its registration, if anything, and
	// drops what the hub dispatches late that is not after it.
	mark uint64
	// subjects are the log subjects the kind's records are read from.
	subjects []string
}

// open registers a session with its live frames held, queues its first
// frames (so they are first on the wire), and then releases the live
// frames after the catch-up: the history after its cursor when it
// resumes, or else whatever the hub dispatched between the request's
// arrival and the registration.
func (s *Service) open(o opening) *hub.Session {
	o.sub.Kind = &o.kind.hub
	expires, hasExpiry := o.expires, !o.expires.IsZero()
	if o.keyID != "" && !hasExpiry {
		expires, hasExpiry = s.keys.ExpiresAt(o.keyID)
	}
	// The closures below capture single fields, not o: an idle session
	// keeps what they capture.
	release := o.release
	var expiry *atomic.Pointer[time.Timer]
	if hasExpiry {
		expiry = new(atomic.Pointer[time.Timer])
		inner := release
		release = func() {
			if t := expiry.Load(); t != nil {
				t.Stop()
			}
			if inner != nil {
				inner()
			}
		}
	}
	if ended := o.ended; ended != nil {
		inner := release
		release = func() {
			ended()
			if inner != nil {
				inner()
			}
		}
	}
	sess := s.hub.Register(o.conn, o.sub, true, release)
	if o.opened != nil {
		o.opened(sess)
	}
	if o.keyID != "" {
		s.watchKey(sess, o.keyID, expires, hasExpiry, !o.expires.IsZero(), expiry)
	}
	for _, f := range o.first {
		sess.SendControl(f)
	}
	from := o.from
	if !from.resume {
		from.after = from.mark
	}
	sess.StartAfter(from.after)
	if !from.resume && s.hub.LastSeq() <= from.mark {
		// Whatever the hub dispatches from now on is after the mark
		// and reaches the session live: nothing to read from the log.
		sess.EndCatchUp()
		return sess
	}
	k := o.kind
	sess.Go(func(ctx context.Context) { s.catchUp(ctx, sess, k, from) })
	return sess
}

// watchKey closes a session when its key expires (a timer per session of
// an expiring key: no goroutine, and no later than the timer fires), and
// at once when the key expired or was revoked between the request's
// authentication and the session's registration, which the revocation
// listener (closeKey) and the timer would otherwise both miss. A JWT
// (token) is not stored and cannot be revoked: only its exp counts.
func (s *Service) watchKey(sess *hub.Session, keyID string, expires time.Time, hasExpiry, token bool, timer *atomic.Pointer[time.Timer]) {
	expired := ReasonKeyExpired
	if token {
		expired = ReasonTokenExpired
	}
	if hasExpiry && !time.Now().Before(expires) {
		sess.Close(expired)
		return
	}
	if !token && !s.keys.Valid(auth.Principal{KeyID: keyID}) {
		sess.Close(ReasonKeyRevoked)
		return
	}
	if !hasExpiry {
		return
	}
	t := time.AfterFunc(time.Until(expires), func() { sess.Close(expired) })
	timer.Store(t)
	select {
	case <-sess.Done(): // ended before the timer was stored: release missed it
		t.Stop()
	default:
	}
}

// now is the newest event at this moment, where a stream opened "from
// now" starts: the last one the hub dispatched, or a later one this node
// appended and already acknowledged to its producer that the hub has not
// yet received from the log.
func (s *Service) now() uint64 { return max(s.hub.LastSeq(), s.events.Stored()) }

// catchUp sends the history after from.after to a session registered with
// its live frames held, then releases them. It runs on a goroutine of the
// session (ctx ends with the session).
func (s *Service) catchUp(ctx context.Context, sess *hub.Session, k *kind, from catchUp) {
	match := sess.Subscription().Match
	err := s.events.Read(ctx, store.ReadOptions{Filters: from.subjects, StartSeq: from.after + 1}, func(rec store.Record) bool {
		if match != nil && !match(rec) {
			return true
		}
		return sess.CatchUp(rec.Seq, s.frame(k, rec))
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("stream catch-up failed", "err", err)
		}
		sess.Close(hub.ReasonWriteError)
		return
	}
	sess.EndCatchUp()
}

// closeSessions ends every session (WebSocket close 1001) and waits,
// within ctx, until they and all their goroutines (writers, readers,
// catch-up readers) and the quota releases they started have returned.
func (s *Service) closeSessions(ctx context.Context) {
	if err := s.hub.Shutdown(ctx); err != nil {
		s.log.Warn("streams still closing when the stop timed out", "err", err)
		return
	}
	s.admit.Wait()
}
