package ui

import (
	"context"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/evtctl/evtctl/internal/tail"
)

// Sender is what Feed needs of a *tea.Program.
type Sender interface{ Send(tea.Msg) }

// Feed forwards items and statuses to the program as one Batch every
// interval (batched rendering: the model updates and redraws per batch, not
// per event). Collecting never waits for the screen: when the program falls
// behind, pending items beyond max are dropped oldest first and counted in
// Batch.Dropped (the screen keeps only the newest max anyway). Statuses are
// never dropped. Feed returns when ctx ends or both channels are closed.
func Feed(ctx context.Context, p Sender, items <-chan tail.Item, statuses <-chan tail.Status, interval time.Duration, max int) {
	var (
		mu      sync.Mutex
		pending Batch
		closing = make(chan struct{})
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			last := false
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-closing:
				last = true
			}
			mu.Lock()
			b := pending
			pending = Batch{}
			mu.Unlock()
			if over := len(b.Items) - max; over > 0 {
				b.Items = b.Items[over:]
				b.Dropped += over
			}
			if len(b.Items) > 0 || len(b.Statuses) > 0 || b.Dropped > 0 {
				p.Send(b) // blocks while the model is busy; collecting goes on meanwhile
			}
			if last {
				return
			}
		}
	}()
	for items != nil || statuses != nil {
		select {
		case <-ctx.Done():
			<-done
			return
		case it, ok := <-items:
			if !ok {
				items = nil
				continue
			}
			mu.Lock()
			pending.Items = append(pending.Items, it)
			// Trim at twice the bound so the copy is amortised.
			if len(pending.Items) >= 2*max {
				over := len(pending.Items) - max
				pending.Items = append(pending.Items[:0], pending.Items[over:]...)
				pending.Dropped += over
			}
			mu.Unlock()
		case st, ok := <-statuses:
			if !ok {
				statuses = nil
				continue
			}
			mu.Lock()
			pending.Statuses = append(pending.Statuses, st)
			mu.Unlock()
		}
	}
	close(closing) // the sender flushes what is left and stops
	<-done
}
