package store

// Remembers tells whether the log's de-duplication index holds e's
// identity as stored (tests wait on it instead of racing the index).
func (l *Log) Remembers(e Entry) bool {
	d := l.dedup
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.stored[d.key(msgID(e))]
	return ok
}
