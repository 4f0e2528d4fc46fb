package composite

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/server"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// RuleBucket is the KV bucket of the rules.
const RuleBucket = "evtctl_rules"

// Service is the composite rules extension: the rules resource, and (when
// composite.enabled) the engine fed from the event log.
//
// Concurrency: the engine is used under mu by two goroutines only — the
// log follower (Add) and the rules watcher (PutRule/DeleteRule). Rendering
// and storing composites happen outside the lock, on the publisher
// goroutine, in emission order.
type Service struct {
	cfg   *config.Config
	log   *slog.Logger
	elog  *store.Log
	rules *store.Collection[proto.Rule]

	mu     sync.Mutex
	engine *Engine // nil when composite.enabled is false

	out        chan Emission
	stopping   chan struct{}
	pubCtx     context.Context
	pubCancel  context.CancelFunc
	pubDone    chan struct{}
	stopFollow func()
	stopOnce   sync.Once

	emitted   prometheus.Counter
	processed atomic.Uint64 // log sequence of the last sound event the engine saw
}

// Processed returns the log sequence of the last sound event the engine
// has processed (tests wait on it; 0 before any).
func (s *Service) Processed() uint64 { return s.processed.Load() }

// NewService creates the extension.
func NewService() *Service { return &Service{} }

// Name implements server.Extension.
func (s *Service) Name() string { return "composite" }

// Rules returns the rules collection (valid after Start).
func (s *Service) Rules() *store.Collection[proto.Rule] { return s.rules }

// Start implements server.Extension. It opens the rules; when derivation is
// enabled it rebuilds the open windows from the recent log and then follows
// the log for new sound events. It returns once the engine is live.
func (s *Service) Start(ctx context.Context, d *server.Deps) (err error) {
	s.cfg, s.log, s.elog = d.Config, d.Logger.With("component", "composite"), d.Log
	s.rules, err = store.OpenCollection[proto.Rule](ctx, d.Backbone.JS, RuleBucket, d.Config.Storage.Replicas)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil { // the server only stops extensions that started
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s.Stop(sctx)
		}
	}()
	if !d.Config.Composite.Enabled {
		return nil
	}
	s.engine = NewEngine(Config{EdgeName: edgeName(d.Config), AllowedLateness: d.Config.Composite.AllowedLateness})
	// Subscribe before loading so no change falls in between; PutRule of an
	// unchanged rule is a no-op.
	s.rules.Subscribe(s.ruleChanged)
	s.mu.Lock()
	for _, r := range s.rules.List() {
		s.engine.PutRule(r)
	}
	s.mu.Unlock()

	s.emitted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "evtctl_composite_emitted_total", Help: "Composite events derived by this node and newly stored in the log.",
	})
	d.Metrics.Registry.MustRegister(s.emitted, &collector{s: s})

	s.out = make(chan Emission, 1024)
	s.stopping = make(chan struct{})
	s.pubDone = make(chan struct{})
	s.pubCtx, s.pubCancel = context.WithCancel(context.Background())
	go s.publishLoop()

	next, err := s.rebuild(ctx)
	if err != nil {
		return fmt.Errorf("rebuild composite windows: %w", err)
	}
	s.stopFollow, err = s.elog.Follow(context.Background(), next, []string{soundSubject}, s.onRecord)
	return err
}

// soundSubject selects every sound event of every tenant.
var soundSubject = store.Filter{Family: string(proto.FamilySound)}.Subject()

// edgeName is the gateway's name in group keys: server.name, else the host
// name (as config.Resolve would fill it).
func edgeName(cfg *config.Config) string {
	if cfg.Server.Name != "" {
		return cfg.Server.Name
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "evtctl"
}

func (s *Service) ruleChanged(ch store.Change[proto.Rule]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch.Deleted {
		s.engine.DeleteRule(ch.ID)
	} else {
		s.engine.PutRule(ch.Value)
	}
}

// onRecord is the log follower's callback for one sound event.
func (s *Service) onRecord(rec store.Record) {
	ev, err := FromRecord(rec)
	if err != nil {
		s.log.Debug("skipping undecodable sound event", "err", err)
		return
	}
	s.mu.Lock()
	ems := s.engine.Add(rec.Address.Owner, ev)
	s.mu.Unlock()
	for _, em := range ems {
		s.publish(em)
	}
	s.processed.Store(rec.Seq)
}

// publish queues a composite for storing. It blocks while the queue is full
// (back-pressure on the follower) unless the service is stopping.
func (s *Service) publish(em Emission) {
	select {
	case s.out <- em:
	case <-s.stopping:
	}
}

// publishLoop stores composites in order. A composite whose append fails is
// retried until it is stored or the service stops; one lost at shutdown is
// derived again by the next start's rebuild (it is not in the log).
func (s *Service) publishLoop() {
	defer close(s.pubDone)
	for em := range s.out {
		data, err := Payload(&em)
		if err != nil {
			s.log.Error("cannot render composite", "id", em.ID, "err", err)
			continue
		}
		entry := store.Entry{Address: store.CompositeAddress(em.Owner, em.ID), ID: em.ID, Data: data}
		for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
			res, err := s.elog.Append(s.pubCtx, []store.Entry{entry})
			if err == nil {
				if res.Accepted > 0 {
					s.emitted.Inc()
				}
				break
			}
			s.log.Warn("storing composite failed; retrying", "id", em.ID, "err", err)
			select {
			case <-s.pubCtx.Done():
				s.log.Warn("composite not stored before shutdown; the next start derives it again", "id", em.ID)
				return
			case <-time.After(backoff):
			}
		}
	}
}

// Stop implements server.Extension: it stops following the log, then lets
// the publisher store what is queued until ctx expires.
func (s *Service) Stop(ctx context.Context) {
	s.stopOnce.Do(func() {
		if s.stopping != nil {
			close(s.stopping)
			if s.stopFollow != nil {
				s.stopFollow()
			}
			close(s.out) // the follower is stopped: nothing sends any more
			select {
			case <-s.pubDone:
			case <-ctx.Done():
				s.pubCancel()
				<-s.pubDone
			}
			s.pubCancel()
		}
		if s.rules != nil {
			s.rules.Close()
		}
	})
}
