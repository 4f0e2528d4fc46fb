package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// The de-duplication index's journal lets a restart skip reading the
// window back from the log, which costs one JetStream delivery per message
// (tens of seconds for millions of lone events). Every identity the index
// adds is appended to the journal in chunks, about once a second; a chunk
// says up to which message sequence of the log the journal is complete
// (dedupIndex.throughLocked). At open, the chunks are read back in one
// sequential pass, and only the log after that sequence is read from
// JetStream. A journal that does not match the log (another stream, one
// that lost messages, a damaged chunk before the last segment) is dropped
// and the window read back as before.
//
// Files, in the index directory:
//
//	meta        JSON: version, the hash key, the stream's creation time, the window
//	<n>.seg     segments of chunks, n increasing; a new one at each open and
//	            every quarter window, removed once all its ids expired
//
// A chunk is a 32-byte head (magic, entry count, CRC-32C of the rest,
// through, newest expiry) and 32 bytes an entry (hash, expiry, position).
// A process killed while writing leaves a partial last chunk, which the
// CRC rejects: the read stops there and the log's tail fills in.

const (
	journalVersion = 1
	chunkMagic     = 0x4a445645 // "EVDJ"
	chunkHead      = 32
	entrySize      = 32
	// flushAt wakes the writer early when this many are waiting.
	flushAt = 1 << 16
	// segmentMax starts a new segment past this size.
	segmentMax = 256 << 20
)

// flushEvery is how often buffered identities are written; after kill -9
// the log's tail since the last chunk is read back instead. (A variable
// for tests.)
var flushEvery = time.Second

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// journalMeta is the meta file.
type journalMeta struct {
	Version int       `json:"version"`
	Key     [2]uint64 `json:"key"`
	Created time.Time `json:"stream_created"`
	Window  int64     `json:"window_ns"`
}

// journal writes the index's identities to the index directory.
type journal struct {
	dir  string
	d    *dedupIndex
	log  *slog.Logger
	wake chan struct{}
	sync chan chan struct{} // a flush now, done when closed (tests)
	stop chan struct{}
	done chan struct{}
	once sync.Once

	// Owned by the writer goroutine (and open, before it starts).
	seg       *os.File
	segN      int
	segBytes  int64
	segOpened time.Time
	segNewest int64 // the newest expiry written to the open segment
	// segments are the closed segments still kept, with their newest
	// expiry.
	segments []segment
	buf      []byte
	through  uint64 // of the last chunk written
	// spare is the previous chunk's entries, handed back to the index to
	// collect the next ones in (no new slice grown on the append path
	// after every flush).
	spare []journaled
}

type segment struct {
	path    string
	expires int64
}

// loadedJournal is what openJournal read back.
type loadedJournal struct {
	ok      bool   // the journal was used: the log is read after through
	through uint64 // complete up to this message sequence
	entries int
}

// openJournal puts the journal of dir (img, read beforehand, or read now
// when nil) into d when it belongs to a stream created at created whose
// last message sequence is lastSeq, and prepares a new segment for what d
// adds from now on. Any journal that cannot be used is removed (with its
// key: d keeps the fresh key it was made with).
func openJournal(dir string, d *dedupIndex, img *journalImage, created time.Time, lastSeq uint64, log *slog.Logger) (*journal, loadedJournal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, loadedJournal{}, err
	}
	j := &journal{dir: dir, d: d, log: log, wake: make(chan struct{}, 1), sync: make(chan chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	if img == nil {
		img = readJournal(dir)
	}
	j.segN = img.lastN
	res, err := j.load(img, created, lastSeq)
	if err != nil {
		log.Warn("the de-duplication journal cannot be used; reading the window back from the log", "dir", dir, "err", err)
	}
	if err != nil || img.missing {
		if err := j.reset(created); err != nil {
			return nil, loadedJournal{}, err
		}
		res = loadedJournal{}
	}
	if err := j.openSegment(); err != nil {
		return nil, loadedJournal{}, err
	}
	d.mu.Lock()
	d.journaling, d.journalWake = true, j.wake
	d.mu.Unlock()
	go j.run()
	return j, res, nil
}

// load checks img against the log and, when it is the log's, makes it d's
// contents: cuts a partial chunk off the last segment and removes the
// segments whose ids all expired.
func (j *journal) load(img *journalImage, created time.Time, lastSeq uint64) (loadedJournal, error) {
	if img.missing {
		return loadedJournal{}, nil
	}
	if img.err != nil {
		return loadedJournal{}, img.err
	}
	m := img.meta
	if !m.Created.Equal(created) {
		return loadedJournal{}, fmt.Errorf("the event stream was created again since (%s, journal of %s)", created.UTC().Format(time.RFC3339), m.Created.UTC().Format(time.RFC3339))
	}
	d := j.d
	if m.Window != int64(d.window) {
		// Every expiry would move; a changed window is rare enough to
		// read it back once.
		return loadedJournal{}, fmt.Errorf("storage.dedup_window changed (%s, journal of %s)", d.window, time.Duration(m.Window))
	}
	if img.through > lastSeq {
		return loadedJournal{}, fmt.Errorf("the journal has ids up to message %d, the log ends at %d: the log lost messages", img.through, lastSeq)
	}
	if n := len(img.segs); n > 0 && img.segs[n-1].partial {
		// The log after through gives back what the partial chunk
		// held; cut it so that this segment, no longer the last after
		// this open, reads as intact next time.
		if err := os.Truncate(img.segs[n-1].path, img.segs[n-1].intact); err != nil {
			return loadedJournal{}, err
		}
	}
	now := time.Now().UnixNano()
	for _, sg := range img.segs {
		if sg.newest > now {
			j.segments = append(j.segments, segment{sg.path, sg.newest})
		} else {
			_ = os.Remove(sg.path)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.key0, d.key1 = m.Key[0], m.Key[1]
	d.stored, d.expiry = img.stored, img.expiry
	d.highest = max(d.highest, img.through)
	return loadedJournal{ok: true, through: img.through, entries: d.stored.len()}, nil
}

// reset removes every segment and writes a meta file with d's key.
func (j *journal) reset(created time.Time) error {
	segs, err := listSegments(j.dir)
	if err != nil {
		return err
	}
	for _, sg := range segs {
		if err := os.Remove(sg.path); err != nil {
			return err
		}
		j.segN = max(j.segN, sg.n)
	}
	m := journalMeta{Version: journalVersion, Key: [2]uint64{j.d.key0, j.d.key1}, Created: created, Window: int64(j.d.window)}
	raw, _ := json.Marshal(m)
	tmp := filepath.Join(j.dir, "meta.tmp")
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(j.dir, "meta"))
}

// openSegment starts the next segment.
func (j *journal) openSegment() error {
	j.segN++
	f, err := os.OpenFile(filepath.Join(j.dir, fmt.Sprintf("%010d.seg", j.segN)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	j.seg, j.segBytes, j.segOpened = f, 0, time.Now()
	return nil
}

// run writes what the index adds until close.
func (j *journal) run() {
	defer close(j.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-j.wake:
		case done := <-j.sync:
			j.d.waitSettled(5 * time.Second)
			j.flush()
			close(done)
			continue
		case <-j.stop:
			j.d.waitSettled(5 * time.Second)
			j.flush()
			if j.seg != nil {
				_ = j.seg.Close()
			}
			return
		}
		j.flush()
	}
}

// flush writes one chunk of what the index added since the last one, and
// rotates and removes segments as they age.
func (j *journal) flush() {
	d := j.d
	d.mu.Lock()
	entries := d.toJournal
	if d.journaling {
		d.toJournal = j.spare[:0]
	}
	through := d.throughLocked()
	d.mu.Unlock()
	// entries are written before the next flush hands them back.
	j.spare = entries
	if j.seg == nil || len(entries) == 0 && through == j.through {
		return
	}
	j.through = through
	if err := j.writeChunk(entries, through); err != nil {
		j.fail(err)
		return
	}
	now := time.Now()
	if j.segBytes >= segmentMax || now.Sub(j.segOpened) >= max(d.window/4, time.Minute) {
		_ = j.seg.Close()
		j.segments = append(j.segments, segment{j.seg.Name(), j.segNewest})
		j.segNewest = 0
		if err := j.openSegment(); err != nil {
			j.seg = nil
			j.fail(err)
			return
		}
	}
	kept := j.segments[:0]
	for _, s := range j.segments {
		if s.expires <= now.UnixNano() {
			_ = os.Remove(s.path)
			continue
		}
		kept = append(kept, s)
	}
	j.segments = kept
}

// writeChunk appends one chunk (a head alone when nothing was added: it
// moves through on).
func (j *journal) writeChunk(entries []journaled, through uint64) error {
	size := chunkHead + len(entries)*entrySize
	j.buf = slices.Grow(j.buf[:0], size)[:size]
	b := j.buf
	var chunkNewest int64
	for i, e := range entries {
		p := b[chunkHead+i*entrySize:]
		copy(p, e.key[:])
		binary.LittleEndian.PutUint64(p[16:], uint64(e.expires))
		binary.LittleEndian.PutUint64(p[24:], e.pos)
		chunkNewest = max(chunkNewest, e.expires)
	}
	j.segNewest = max(j.segNewest, chunkNewest)
	binary.LittleEndian.PutUint32(b[0:], chunkMagic)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(entries)))
	binary.LittleEndian.PutUint64(b[12:], through)
	binary.LittleEndian.PutUint64(b[20:], uint64(chunkNewest))
	binary.LittleEndian.PutUint32(b[28:], 0)
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b[12:], crcTable))
	n, err := j.seg.Write(b)
	j.segBytes += int64(n)
	return err
}

// fail stops journaling after a write error: the journal on disk is no
// longer complete, so its meta is removed and the next open reads the
// window back from the log.
func (j *journal) fail(err error) {
	j.log.Error("the de-duplication journal could not be written; the next start reads the window back from the log", "dir", j.dir, "err", err)
	_ = os.Remove(filepath.Join(j.dir, "meta"))
	if j.seg != nil {
		_ = j.seg.Close()
		j.seg = nil
	}
	d := j.d
	d.mu.Lock()
	d.journaling, d.toJournal = false, nil
	d.mu.Unlock()
}

// close writes what is left and stops the writer.
func (j *journal) close() {
	j.once.Do(func() {
		close(j.stop)
		<-j.done
	})
}
