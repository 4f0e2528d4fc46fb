package webhook

import (
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// shares splits a JetStream message holding n events (a bundle, see
// internal/store/bundle.go) into one acknowledgement handle per event. The
// message is acknowledged once every event's delivery is; if any asks for
// it back (Nak), it is handed back when the last one settles, with the
// shortest delay asked, so JetStream redelivers it when the earliest retry
// is due. On redelivery each event reads its delivery record first
// (mayBeRedelivered): finished ones are skipped, and ones not yet due
// keep their schedule.
func shares(m jetstream.Msg, n int) []jetstream.Msg {
	if n == 1 {
		return []jetstream.Msg{m}
	}
	g := &shareGroup{msg: m, left: n}
	out := make([]jetstream.Msg, n)
	for i := range out {
		out[i] = &share{Msg: m, g: g}
	}
	return out
}

type shareGroup struct {
	msg   jetstream.Msg
	mu    sync.Mutex
	left  int
	nak   bool
	delay time.Duration // the shortest asked, when nak
}

// settle records one event's outcome and, with the last, the message's.
func (g *shareGroup) settle(nak bool, delay time.Duration) error {
	g.mu.Lock()
	if nak && (!g.nak || delay < g.delay) {
		g.nak, g.delay = true, delay
	}
	g.left--
	last, nakAll, d := g.left == 0, g.nak, g.delay
	g.mu.Unlock()
	switch {
	case !last:
		return nil
	case !nakAll:
		return g.msg.Ack()
	case d > 0:
		return g.msg.NakWithDelay(d)
	default:
		return g.msg.Nak()
	}
}

// share is one event's handle on a bundle's message; each of its
// Ack/Nak/NakWithDelay/Term must be called once. InProgress and the rest
// act on the message itself.
type share struct {
	jetstream.Msg
	g    *shareGroup
	once sync.Once
}

func (s *share) do(nak bool, delay time.Duration) error {
	var err error
	s.once.Do(func() { err = s.g.settle(nak, delay) })
	return err
}

func (s *share) Ack() error                             { return s.do(false, 0) }
func (s *share) Term() error                            { return s.do(false, 0) }
func (s *share) Nak() error                             { return s.do(true, 0) }
func (s *share) NakWithDelay(delay time.Duration) error { return s.do(true, delay) }
