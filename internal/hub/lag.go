package hub

import (
	"time"

	"github.com/evtctl/evtctl/internal/store"
)

// observeLag reports how far the live feed runs behind storage: the age
// of the event being dispatched (its storage time to now).
func (h *Hub) observeLag(rec store.Record) {
	if h.metrics != nil && !rec.ReceivedAt.IsZero() {
		h.metrics.FanoutLag.Set(time.Since(rec.ReceivedAt).Seconds())
	}
}
