//go:build !unix

package store

import (
	"errors"
	"os"
)

// LockFile is the file, in the data directory, that the process using the
// directory holds an exclusive lock on (unix only).
const LockFile = "evtctl.lock"

// ErrDataDirLocked is returned when another process uses the data directory.
var ErrDataDirLocked = errors.New("data directory in use")

// DirLock is a held data directory lock.
type DirLock struct{}

// LockDataDir creates dir. On this platform the directory is not locked:
// do not run two evtctl processes on one data directory.
func LockDataDir(dir string) (*DirLock, error) { return &DirLock{}, os.MkdirAll(dir, 0o755) }

// Unlock does nothing here.
func (l *DirLock) Unlock() {}
