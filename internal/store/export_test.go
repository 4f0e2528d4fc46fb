package store

import "time"

// SetJournalFlushEvery changes how often the journal is written, until the
// returned function restores it.
func SetJournalFlushEvery(d time.Duration) func() {
	was := flushEvery
	flushEvery = d
	return func() { flushEvery = was }
}

// Remembers tells whether the log's de-duplication index holds e's
// identity as stored (tests wait on it instead of racing the index).
func (l *Log) Remembers(e Entry) bool {
	d := l.dedup
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.stored.get(d.key(msgID(e)))
	return ok
}

// FlushJournal writes a chunk of the de-duplication journal now, and
// returns the message sequence it is complete through.
func (l *Log) FlushJournal() uint64 {
	done := make(chan struct{})
	l.journal.sync <- done
	<-done
	return l.journal.through
}

// JournalLoaded is what the open read from the journal: entries, and the
// message sequence the log was read after (0: the window was read back).
func (l *Log) JournalLoaded() (int, uint64) { return l.loaded.entries, l.loaded.through }
