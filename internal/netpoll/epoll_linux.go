//go:build linux

package netpoll

import (
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// armed is what a watch waits for: data or a hang-up (EPOLLERR and
// EPOLLHUP are always reported), reported once until Resume. Level
// triggered: a Resume with data already waiting reports it at once, so
// nothing that arrived between the callback's last read and its Resume is
// missed.
const armed = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

// scratchSize is the buffer handed to callbacks for their reads.
const scratchSize = 4096

// Poller is one epoll set and the goroutine waiting on it.
type Poller struct {
	epfd, wakefd int
	done         chan struct{} // closed when the goroutine returned

	// mu guards closed and watches. Every epoll_ctl holds it for reading
	// and checks closed, so Close (which sets closed under the write lock
	// before closing epfd) never has a descriptor number reused under a
	// late Resume or Stop.
	mu      sync.RWMutex
	closed  bool
	watches map[uint64]*Watch
	next    uint64 // the last id given; 0 is the wake-up eventfd's

	scratch []byte // the callbacks', on the goroutine only
}

// Watch is one socket a Poller watches. Its zero value is ready for
// Add; it may be embedded in the caller's per-connection state (one
// allocation less per connection), must not be copied after Add, and
// serves one Add only.
type Watch struct {
	p       *Poller
	rc      syscall.RawConn
	h       Handler
	id      uint64
	stopped atomic.Bool
}

// New creates a poller and starts its goroutine; Close stops it.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		_ = unix.Close(epfd)
		_ = unix.Close(wakefd)
		return nil, err
	}
	p := &Poller{epfd: epfd, wakefd: wakefd, done: make(chan struct{}),
		watches: map[uint64]*Watch{}, scratch: make([]byte, scratchSize)}
	go p.loop()
	return p, nil
}

// Add watches the socket of rc with w: once it is readable or its peer
// hung up, h.Readable runs on the poller's goroutine; it must not block,
// and it runs again only after w.Resume. Nothing is delivered after Stop
// returned, but a callback already under way may still be running.
func (p *Poller) Add(w *Watch, rc syscall.RawConn, h Handler) error {
	w.p, w.rc, w.h = p, rc, h
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		w.stopped.Store(true)
		return ErrClosed
	}
	p.next++
	w.id = p.next
	p.watches[w.id] = w // before the kernel can report it
	p.mu.Unlock()
	if err := w.ctl(unix.EPOLL_CTL_ADD); err != nil {
		w.stopped.Store(true)
		p.forget(w)
		return err
	}
	return nil
}

// RawConn is the watched socket.
func (w *Watch) RawConn() syscall.RawConn { return w.rc }

// Resume arms the watch again after its callback ran.
func (w *Watch) Resume() error {
	if w.stopped.Load() {
		return ErrClosed
	}
	return w.ctl(unix.EPOLL_CTL_MOD)
}

// Stop ends the watch. Call it before closing the connection: the
// descriptor is removed from the set while it is still the connection's.
// A Stop after the connection was closed is harmless too (the kernel
// dropped the socket from the set when it closed it).
func (w *Watch) Stop() {
	if w.stopped.Swap(true) {
		return
	}
	_ = w.ctl(unix.EPOLL_CTL_DEL)
	w.p.forget(w)
}

// ctl applies op to the watch's socket, its descriptor held open by the
// runtime meanwhile (an error if the connection is already closed).
func (w *Watch) ctl(op int) error {
	var err error
	cerr := w.rc.Control(func(fd uintptr) {
		w.p.mu.RLock()
		defer w.p.mu.RUnlock()
		if w.p.closed {
			err = ErrClosed
			return
		}
		ev := unix.EpollEvent{Events: armed, Fd: int32(uint32(w.id)), Pad: int32(uint32(w.id >> 32))}
		err = unix.EpollCtl(w.p.epfd, op, int(fd), &ev)
	})
	if cerr != nil {
		return cerr
	}
	return err
}

func (p *Poller) forget(w *Watch) {
	p.mu.Lock()
	delete(p.watches, w.id)
	p.mu.Unlock()
}

// Len is the number of sockets watched.
func (p *Poller) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.watches)
}

// Close stops the goroutine (waiting for a callback under way) and
// releases the set. Watches left are not reported any more; their Resume
// and Stop do nothing.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.done
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	var one [8]byte // an eventfd takes a counter increment in native byte order
	binary.NativeEndian.PutUint64(one[:], 1)
	_, werr := unix.Write(p.wakefd, one[:])
	<-p.done
	p.mu.Lock()
	p.watches = nil
	p.mu.Unlock()
	return errors.Join(werr, unix.Close(p.epfd), unix.Close(p.wakefd))
}

// loop waits for events and runs the callbacks of the watches reported.
func (p *Poller) loop() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 256)
	var due []*Watch
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return // only a closed set fails otherwise, and Close waits for this
		}
		stop := false
		p.mu.RLock()
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if id == 0 {
				stop = true
			} else if w := p.watches[id]; w != nil {
				due = append(due, w)
			}
		}
		p.mu.RUnlock()
		if stop {
			return
		}
		for i, w := range due {
			if !w.stopped.Load() {
				w.h.Readable(w, p.scratch)
			}
			due[i] = nil
		}
		due = due[:0]
	}
}

// ReadNow reads what the socket of rc holds into b without waiting: n > 0
// bytes; or io.EOF when the peer closed its side; or ErrWouldBlock when
// nothing is there yet; or the socket's error.
func ReadNow(rc syscall.RawConn, b []byte) (int, error) {
	var n int
	var err error
	cerr := rc.Read(func(fd uintptr) bool {
		for {
			n, err = unix.Read(int(fd), b)
			if err != unix.EINTR {
				return true // one attempt: never wait
			}
		}
	})
	switch {
	case cerr != nil:
		return 0, cerr
	case err == unix.EAGAIN:
		return 0, ErrWouldBlock
	case err != nil:
		return 0, err
	case n == 0 && len(b) > 0:
		return 0, io.EOF
	}
	return n, nil
}
