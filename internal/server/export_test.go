package server

import "time"

// SetStorageCheckEvery changes how often storage is checked (tests).
func SetStorageCheckEvery(d time.Duration) func() {
	old := storageCheckEvery
	storageCheckEvery = d
	return func() { storageCheckEvery = old }
}
