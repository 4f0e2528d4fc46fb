//go:build !linux

package netpoll

import "syscall"

// Poller is not available here: New reports ErrUnsupported.
type Poller struct{}

// Watch is a watched socket (none here).
type Watch struct{}

// New reports ErrUnsupported: callers keep a reader goroutine.
func New() (*Poller, error) { return nil, ErrUnsupported }

// Add reports ErrUnsupported.
func (p *Poller) Add(*Watch, syscall.RawConn, Handler) error { return ErrUnsupported }

// Len is 0.
func (p *Poller) Len() int { return 0 }

// Close does nothing.
func (p *Poller) Close() error { return nil }

// RawConn is nil.
func (w *Watch) RawConn() syscall.RawConn { return nil }

// Resume reports ErrUnsupported.
func (w *Watch) Resume() error { return ErrUnsupported }

// Stop does nothing.
func (w *Watch) Stop() {}

// ReadNow reports ErrUnsupported.
func ReadNow(syscall.RawConn, []byte) (int, error) { return 0, ErrUnsupported }
