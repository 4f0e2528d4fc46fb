package stream

// Watched is the number of connections the service's poller watches, -1
// when it has none.
func Watched(s *Service) int {
	if p := s.poll.Load(); p != nil {
		return p.Len()
	}
	return -1
}

// WithoutPoller closes the service's poller: connections opened from then
// on get a reader goroutine, as where there is no poller.
func WithoutPoller(s *Service) {
	if p := s.poll.Swap(nil); p != nil {
		_ = p.Close()
	}
}
