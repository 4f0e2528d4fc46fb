//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LockFile is the file, in the data directory, that the process using the
// directory holds an exclusive lock on.
const LockFile = "evtctl.lock"

// ErrDataDirLocked is returned when another process uses the data directory.
var ErrDataDirLocked = errors.New("data directory in use")

// DirLock is a held data directory lock.
type DirLock struct{ f *os.File }

// LockDataDir takes the exclusive lock of dir (created if missing): one
// process at a time opens a JetStream store, as two would corrupt it. The
// lock is released by Unlock or when the process ends, however it ends.
func LockDataDir(dir string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	// A process that is stopping releases the lock a moment after its
	// server has shut down: wait for it briefly.
	deadline := time.Now().Add(time.Second)
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	for errors.Is(err, syscall.EWOULDBLOCK) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	if err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := ""
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b[:n]))); perr == nil {
				holder = fmt.Sprintf(" (process %d)", pid)
			}
			return nil, fmt.Errorf("%w: %s is used by a running evtctl%s; stop it first", ErrDataDirLocked, dir, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &DirLock{f: f}, nil
}

// Unlock releases the lock. Safe on nil.
func (l *DirLock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}
