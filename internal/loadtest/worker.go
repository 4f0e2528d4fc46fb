package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// The worker protocol. The parent starts each worker with the run's
// target and its share (Index, Stride); the worker writes JSON lines on
// stdout:
//
//	{"progress":{…}}   every progressEvery
//	{"ramped":true,…}  once every attempt of its share was answered
//	{"result":{…}}     last, after the parent asked it to stop
//	{"error":"…"}      instead of a result when it cannot run
//
// The parent asks a worker to stop by closing its stdin. Workers never
// publish or sample memory: the parent does, once for the whole run.
type workerMsg struct {
	Progress *Progress `json:"progress,omitempty"`
	Ramped   bool      `json:"ramped,omitempty"`
	Result   *Result   `json:"result,omitempty"`
	Error    string    `json:"error,omitempty"`
}

const progressEvery = 250 * time.Millisecond

// RunWorker is the worker side: it holds t's share of connections until
// stdin ends (or ctx is cancelled), then writes its result on stdout.
func RunWorker(ctx context.Context, t Target, stdin io.Reader, stdout io.Writer) error {
	enc := json.NewEncoder(stdout)
	f, err := startLocal(t)
	if err != nil {
		_ = enc.Encode(workerMsg{Error: err.Error()})
		return err
	}
	stopped := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin) // returns when the parent closes it
		close(stopped)
	}()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	ramped := f.Ramped()
	for running := true; running; {
		select {
		case <-tick.C:
			p := f.Progress()
			if err := enc.Encode(workerMsg{Progress: &p}); err != nil {
				running = false // the parent is gone
			}
		case <-ramped:
			ramped = nil
			// With its progress, so the parent's "ramp done" line counts
			// this worker's connections.
			p := f.Progress()
			_ = enc.Encode(workerMsg{Ramped: true, Progress: &p})
		case <-stopped:
			running = false
		case <-ctx.Done():
			running = false
		}
	}
	res, err := f.Stop()
	if err != nil {
		_ = enc.Encode(workerMsg{Error: err.Error()})
		return err
	}
	return enc.Encode(workerMsg{Result: res})
}

// procFleet is a fleet of worker processes.
type procFleet struct {
	workers []*workerProc
	ramped  chan struct{}
}

type workerProc struct {
	i      int
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	mu     sync.Mutex
	prog   Progress
	result *Result
	err    error
	ramped chan struct{}
	rOnce  sync.Once
	done   chan struct{} // stdout ended and the process was waited for
}

func startWorkers(t Target, n int, command func(i, n int) *exec.Cmd) (*procFleet, error) {
	if command == nil {
		return nil, errors.New("no worker command")
	}
	pf := &procFleet{ramped: make(chan struct{})}
	for i := range n {
		w := &workerProc{i: i, cmd: command(i, n), ramped: make(chan struct{}), done: make(chan struct{})}
		stdin, err := w.cmd.StdinPipe()
		if err == nil {
			var stdout io.ReadCloser
			if stdout, err = w.cmd.StdoutPipe(); err == nil {
				if err = w.cmd.Start(); err == nil {
					w.stdin = stdin
					go w.read(stdout)
				}
			}
		}
		if err != nil {
			pf.kill()
			return nil, fmt.Errorf("start worker %d: %w", i, err)
		}
		pf.workers = append(pf.workers, w)
	}
	go func() {
		for _, w := range pf.workers {
			<-w.ramped
		}
		close(pf.ramped)
	}()
	return pf, nil
}

// read consumes a worker's messages until its stdout ends.
func (w *workerProc) read(stdout io.Reader) {
	defer close(w.done)
	defer w.rOnce.Do(func() { close(w.ramped) }) // a dead worker ramps no more
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // results carry histograms
	for sc.Scan() {
		var m workerMsg
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			w.setErr(fmt.Errorf("unreadable message %.80q: %w", sc.Text(), err))
			continue
		}
		w.mu.Lock()
		switch {
		case m.Progress != nil:
			w.prog = *m.Progress
		case m.Result != nil:
			w.result = m.Result
		case m.Error != "":
			w.err = errors.New(m.Error)
		}
		w.mu.Unlock()
		if m.Ramped {
			w.rOnce.Do(func() { close(w.ramped) })
		}
	}
	if err := w.cmd.Wait(); err != nil {
		w.setErr(err)
	}
}

func (w *workerProc) setErr(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

// Progress implements fleet.
func (pf *procFleet) Progress() Progress {
	var p Progress
	for _, w := range pf.workers {
		w.mu.Lock()
		p = p.Add(w.prog)
		w.mu.Unlock()
	}
	return p
}

// Ramped implements fleet.
func (pf *procFleet) Ramped() <-chan struct{} { return pf.ramped }

// Stop implements fleet: it closes every worker's stdin, waits for their
// results and merges them. Workers that fail are named in the error; the
// others' results are still returned.
func (pf *procFleet) Stop() (*Result, error) {
	for _, w := range pf.workers {
		_ = w.stdin.Close()
	}
	total := NewResult()
	var errs []string
	timeout := time.After(time.Minute)
	for _, w := range pf.workers {
		select {
		case <-w.done:
		case <-timeout:
			_ = w.cmd.Process.Kill()
			<-w.done
		}
		w.mu.Lock()
		switch {
		case w.result != nil:
			total.Merge(w.result)
		case w.err != nil:
			errs = append(errs, fmt.Sprintf("worker %d: %v", w.i, w.err))
		default:
			errs = append(errs, fmt.Sprintf("worker %d: %v", w.i, errNoResult))
		}
		w.mu.Unlock()
	}
	if len(errs) > 0 {
		return total, errors.New(strings.Join(errs, "; "))
	}
	return total, nil
}

func (pf *procFleet) kill() {
	for _, w := range pf.workers {
		_ = w.stdin.Close()
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

// Share returns Target t restricted to worker i of n.
func Share(t Target, i, n int) Target {
	t.Index, t.Stride = i, n
	if t.Rate > 0 {
		t.Rate /= float64(n)
	}
	t.Inflight = max(1, t.Inflight/n)
	return t
}
