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

	"github.com/evtctl/evtctl/internal/component"
	"github.com/evtctl/evtctl/internal/config"
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
	cfg   settings
	log   *slog.Logger
	elog  *store.Log
	rules *store.Collection[proto.Rule]

	mu     sync.Mutex
	engine *Engine // nil when composite.enabled is false

	// detectTrace samples detections for tracing (trace.go).
	detectTrace detectTrace

	out        chan Emission
	stopping   chan struct{}
	pubCtx     context.Context // cancelled when Stop's deadline passes
	pubCancel  context.CancelFunc
	pubDone    chan struct{}
	stopFollow func()
	stopOnce   sync.Once
	// run's goroutines are the publisher and the lease holder; its
	// context, cancelled by Stop once the publisher is done, ends the
	// lease holder.
	run component.Group

	// Every node runs the engine (warm windows for a fail-over), but only
	// the holder of the publisher lease stores composites, so one node's
	// view of the rules decides. The others keep what they derived in the
	// last standbyFor in standby and store it when they take over: the
	// composites of the gap between the old publisher's death and the
	// take-over; those it had stored are dropped by the log's
	// de-duplication.
	lease   *lease
	standby []standbyEmission // only touched by publishLoop

	emitted   prometheus.Counter
	processed atomic.Uint64 // log sequence of the last sound event the engine saw
}

// standbyFor is how long a node that does not publish keeps what it
// derived: longer than a lease can outlive its holder.
const standbyFor = 2 * leaseTTL

type standbyEmission struct {
	em Emission
	at time.Time
}

// Processed returns the log sequence of the last sound event the engine
// has processed (tests wait on it; 0 before any).
func (s *Service) Processed() uint64 { return s.processed.Load() }

// settings are the configuration sections the component reads.
type settings struct {
	Server    config.Server
	Limits    config.Limits
	Composite config.Composite
}

// New builds the composite component on the event log: it opens the rules
// (the rules resource, per-tenant quota in limits); when cfg.Enabled it
// rebuilds the open windows from the recent log and then follows the log
// for new sound events. It returns once the engine is live.
func New(ctx context.Context, env component.Env, cfg config.Composite, limits config.Limits, events *store.Log) (_ *Service, err error) {
	s := &Service{
		cfg:  settings{Server: env.Server, Limits: limits, Composite: cfg},
		log:  env.Logger.With("component", "composite"),
		elog: events,
	}
	s.rules, err = store.OpenCollection[proto.Rule](ctx, env.JS, RuleBucket, env.Storage.Replicas)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s.Stop(sctx)
		}
	}()
	if !cfg.Enabled {
		return s, nil
	}
	if err := s.startEngine(ctx, env); err != nil {
		return nil, err
	}
	return s, nil
}

// Name implements component.Component.
func (s *Service) Name() string { return "composite" }

// Rules returns the rules collection.
func (s *Service) Rules() *store.Collection[proto.Rule] { return s.rules }

// startEngine loads the rules into a new engine, takes part in the
// publisher lease, rebuilds the windows and follows the log.
func (s *Service) startEngine(ctx context.Context, env component.Env) error {
	name := edgeName(s.cfg.Server)
	s.engine = NewEngine(Config{EdgeName: name, AllowedLateness: s.cfg.Composite.AllowedLateness})
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
	env.Metrics.Registry.MustRegister(s.emitted, &collector{s: s})

	kv, err := openLeases(ctx, env.JS, env.Storage.Replicas)
	if err != nil {
		return err
	}
	s.lease = newLease(kv, publisherKey, name, leaseTTL)
	s.lease.attempt(ctx) // a single node publishes from the start
	env.Metrics.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "evtctl_composite_publisher", Help: "1 if this node holds the composite publisher lease (stores the composites), else 0.",
	}, func() float64 {
		if s.lease.held() {
			return 1
		}
		return 0
	}))
	s.run.Go(s.lease.run)

	s.out = make(chan Emission, 1024)
	s.stopping = make(chan struct{})
	s.pubDone = make(chan struct{})
	s.pubCtx, s.pubCancel = context.WithCancel(context.Background())
	s.run.Go(func(context.Context) { s.publishLoop() })

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
func edgeName(cfg config.Server) string {
	if cfg.Name != "" {
		return cfg.Name
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
	start, traced := s.detectTrace.begin(rec)
	s.mu.Lock()
	ems := s.engine.Add(rec.Address.Owner, ev)
	s.mu.Unlock()
	s.detectTrace.end(rec, start, traced, len(ems))
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

// publishLoop stores composites in order while this node holds the
// publisher lease, and keeps them in standby otherwise.
func (s *Service) publishLoop() {
	defer close(s.pubDone)
	for {
		select {
		case em, ok := <-s.out:
			if !ok {
				return
			}
			if !s.lease.held() {
				s.keep(em)
				continue
			}
			if !s.store(em) {
				return
			}
		case <-s.lease.gained:
			s.log.Info("this node now stores the composites", "standby", len(s.standby))
			for len(s.standby) > 0 {
				if !s.store(s.standby[0].em) {
					return
				}
				s.standby = s.standby[1:]
			}
			s.standby = nil
		}
	}
}

// keep holds a composite derived while another node publishes, dropping
// those older than standbyFor.
func (s *Service) keep(em Emission) {
	now := time.Now()
	i := 0
	for i < len(s.standby) && now.Sub(s.standby[i].at) > standbyFor {
		i++
	}
	s.standby = append(s.standby[i:], standbyEmission{em, now})
}

// store appends one composite to the log, retrying until it is stored
// (false: the service stopped first; the next start derives it again, as
// it is not in the log).
func (s *Service) store(em Emission) bool {
	data, err := Payload(&em)
	if err != nil {
		s.log.Error("cannot render composite", "id", em.ID, "err", err)
		return true
	}
	entry := store.Entry{Address: store.CompositeAddress(em.Owner, em.ID), ID: em.ID, Data: data}
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		res, err := s.elog.Append(s.pubCtx, []store.Entry{entry})
		if err == nil {
			if res.Accepted > 0 {
				s.emitted.Inc()
			}
			return true
		}
		s.log.Warn("storing composite failed; retrying", "id", em.ID, "err", err)
		select {
		case <-s.pubCtx.Done():
			s.log.Warn("composite not stored before shutdown; the next start derives it again", "id", em.ID)
			return false
		case <-time.After(backoff):
		}
	}
}

// Stop implements component.Component: it stops following the log, lets
// the publisher store what is queued until ctx expires, then gives up the
// publisher lease.
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
		s.run.Stop()
		if s.lease != nil {
			rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			s.lease.release(rctx) // the next publisher need not wait for the TTL
			cancel()
		}
		if s.rules != nil {
			s.rules.Close()
		}
	})
}
