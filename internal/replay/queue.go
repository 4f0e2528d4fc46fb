package replay

import (
	"context"
)

// queue sends batches on a goroutine of its own, so that reading and
// checking the next lines overlaps the request in flight: one batch is
// sent while the next one fills. The Sender is still called from one
// goroutine, in order.
type queue struct {
	ch     chan []Record
	done   chan struct{}
	failed chan struct{}
	err    error // the first send error; set before failed is closed
	cancel context.CancelFunc
}

// startQueue sends with opts.Sender, adds the results to st and reports
// them to opts.Progress. st must not be read until close returns. After a
// failed send it cancels the context the caller waits on (see Run).
func startQueue(ctx context.Context, cancel context.CancelFunc, opts *Options, st *Stats) *queue {
	q := &queue{ch: make(chan []Record), done: make(chan struct{}), failed: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(q.done)
		for batch := range q.ch {
			if q.err != nil {
				continue // after a failure, nothing more is sent
			}
			res, err := opts.Sender.Send(ctx, batch[0].Family, batch)
			if err != nil {
				q.err = err
				close(q.failed)
				cancel()
				continue
			}
			st.Sent += len(batch)
			st.Accepted += res.Accepted
			st.Duplicates += res.Duplicates
			if opts.Progress != nil {
				opts.Progress(*st)
			}
		}
	}()
	return q
}

// put hands batch over (the queue owns it from then on); it waits while
// the previous batch is still being sent. It returns the send error once
// a send has failed.
func (q *queue) put(batch []Record) error {
	select {
	case q.ch <- batch:
		return nil
	case <-q.failed:
		return q.err
	}
}

// close waits for the last send and returns the first send error.
func (q *queue) close() error {
	close(q.ch)
	<-q.done
	return q.err
}
