package tracing

// FirstOfRequest picks, in the log order a follower reads, the first
// record of each stored request whose trace is recorded: the events of one
// POST share a traceparent and follow each other, so a span for each of
// them would be a thousand spans per batch. One goroutine uses a value.
type FirstOfRequest struct{ last string }

// Take reports whether a record stored with traceparent tp starts a new
// request of a trace that is recorded (tracing on, tp sampled).
func (f *FirstOfRequest) Take(tp string) bool {
	if !Enabled() || !Sampled(tp) || tp == f.last {
		return false
	}
	f.last = tp
	return true
}
