package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// Options configure a run.
type Options struct {
	Target Target
	// Workers > 1 spreads the connections over that many processes made
	// by Worker(i, Workers), each running RunWorker (a process can hold
	// no more connections than its open-file limit).
	Workers int
	Worker  func(i, n int) *exec.Cmd

	Idle     time.Duration // after the ramp, before the memory sample and publishing
	Duration time.Duration // publishing (or, without a publisher, holding) time
	Drain    time.Duration // longest wait for late deliveries after publishing
	Publish  *Publish

	ServerPID     int    // sample the server's VmRSS from /proc
	ServerMetrics string // or its Prometheus process_resident_memory_bytes

	Progress         io.Writer     // progress lines; nil: none
	ProgressInterval time.Duration // between lines
	ProgressLive     bool          // rewrite one line in place (a terminal)
}

// Run performs a load test: ramp up, idle, sample memory, publish (or
// hold), drain, stop. Cancelling ctx (Ctrl-C) ends the current phase early
// and still reports what was measured.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.Target.validate(); err != nil {
		return nil, err
	}
	if o.Publish != nil {
		if err := o.Publish.validate(); err != nil {
			return nil, err
		}
	}
	if o.Workers < 1 {
		o.Workers = 1
	}
	var probe memProbe
	var source string
	switch {
	case o.ServerPID > 0:
		probe, source = pidRSS(o.ServerPID), "pid "+strconv.Itoa(o.ServerPID)
	case o.ServerMetrics != "":
		probe, source = metricsRSS(o.ServerMetrics), o.ServerMetrics
	}
	var mem *Memory
	if probe != nil {
		before, err := probe(ctx)
		if err != nil {
			return nil, err
		}
		mem = &Memory{Source: source, BeforeBytes: before}
	}

	start := time.Now()
	var fl fleet
	var err error
	if o.Workers > 1 {
		fl, err = startWorkers(o.Target, o.Workers, o.Worker)
	} else {
		fl, err = startLocal(o.Target)
	}
	if err != nil {
		return nil, err
	}
	pr := newProgressPrinter(o, fl, start)
	defer pr.stop()

	var ramped time.Time
	select {
	case <-fl.Ramped():
		ramped = time.Now()
		p := fl.Progress()
		pr.say("ramp done in %.1fs: %d established, %d rejected, %d dial errors", ramped.Sub(start).Seconds(), p.Established, p.Rejected, p.DialErrors)
	case <-ctx.Done():
	}
	sleep(ctx, o.Idle)
	if mem != nil && ctx.Err() == nil {
		after, err := probe(ctx)
		if err != nil {
			pr.say("%v", err)
		} else {
			mem.AfterBytes = after
			if est := fl.Progress().Open(); est > 0 {
				mem.PerConnKiB = float64(after-mem.BeforeBytes) / 1024 / float64(est)
			}
		}
	}

	var pub *PublishResult
	if o.Publish != nil && ctx.Err() == nil {
		pr.say("publishing %g events/s for %s", o.Publish.Rate, o.Duration)
		pub = runPublisher(ctx, *o.Publish, o.Duration)
		drain(ctx, fl, pub.Attempted*fl.Progress().Established, o.Drain)
	} else {
		sleep(ctx, o.Duration)
	}
	pr.stop()
	res, err := fl.Stop()
	end := time.Now()
	if res == nil {
		return nil, err
	}
	rep := buildReport(o.Target, o.Workers, res, pub, o.Publish, mem, start, ramped, end)
	return rep, err
}

// drain waits for deliveries still in flight after publishing: until all
// expected arrived, a second passes without one, or max elapses.
func drain(ctx context.Context, fl fleet, expected int64, maxWait time.Duration) {
	deadline := time.Now().Add(maxWait)
	last := int64(-1)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n := fl.Progress().Deliveries
		if n >= expected || n == last {
			return
		}
		last = n
		sleep(ctx, min(time.Second, time.Until(deadline)))
	}
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// progressPrinter writes live progress to stderr.
type progressPrinter struct {
	o     Options
	fl    fleet
	start time.Time
	done  chan struct{}
	ended chan struct{}
	mu    sync.Mutex // one line at a time
}

func newProgressPrinter(o Options, fl fleet, start time.Time) *progressPrinter {
	p := &progressPrinter{o: o, fl: fl, start: start, done: make(chan struct{}), ended: make(chan struct{})}
	if o.Progress == nil || o.ProgressInterval <= 0 {
		close(p.ended)
		return p
	}
	go func() {
		defer close(p.ended)
		t := time.NewTicker(o.ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				if o.ProgressLive {
					p.mu.Lock()
					fmt.Fprint(o.Progress, "\r\x1b[K")
					p.mu.Unlock()
				}
				return
			case <-t.C:
				p.line()
			}
		}
	}()
	return p
}

func (p *progressPrinter) line() {
	s := p.fl.Progress()
	msg := fmt.Sprintf("loadtest: %5.1fs open %d/%d rejected %d errors %d dropped %d messages %d deliveries %d",
		time.Since(p.start).Seconds(), s.Open(), p.o.Target.Conns, s.Rejected, s.DialErrors, s.Disconnects, s.Messages, s.Deliveries)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.o.ProgressLive {
		fmt.Fprint(p.o.Progress, "\r\x1b[K"+msg)
	} else {
		fmt.Fprintln(p.o.Progress, msg)
	}
}

// say prints a phase message on its own line.
func (p *progressPrinter) say(format string, a ...any) {
	if p.o.Progress == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	prefix := ""
	if p.o.ProgressLive {
		prefix = "\r\x1b[K"
	}
	fmt.Fprintf(p.o.Progress, prefix+"loadtest: "+format+"\n", a...)
}

func (p *progressPrinter) stop() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	<-p.ended
}

// errNoResult means a worker ended without sending its result.
var errNoResult = errors.New("ended without a result")
