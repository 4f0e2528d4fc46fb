package store

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// journalImage is a journal read from disk (journal.go), not yet checked
// against the log: reading it needs no storage, so a start reads it while
// the embedded server restores its streams (PreloadJournal).
type journalImage struct {
	missing bool  // no journal at all (a first start)
	err     error // a journal that cannot be used
	meta    journalMeta
	segs    []readSegment
	lastN   int    // the highest segment number seen
	through uint64 // of the last intact chunk
	expiry  []expiring
	stored  *idMap
}

// readSegment is what was read of one segment file.
type readSegment struct {
	path    string
	newest  int64 // the newest expiry in it
	intact  int64 // bytes of intact chunks
	partial bool  // it ends in a partial or damaged chunk
}

// readJournal reads the journal of dir, dropping the ids already expired.
func readJournal(dir string) *journalImage {
	img := &journalImage{}
	raw, err := os.ReadFile(filepath.Join(dir, "meta"))
	if errors.Is(err, os.ErrNotExist) {
		img.missing = true
		return img
	}
	if err != nil {
		img.err = err
		return img
	}
	if err := json.Unmarshal(raw, &img.meta); err != nil || img.meta.Version != journalVersion {
		img.err = fmt.Errorf("meta: unreadable or another version")
		return img
	}
	segs, err := listSegments(dir)
	if err != nil {
		img.err = err
		return img
	}
	var size int64
	for _, sg := range segs {
		img.lastN = max(img.lastN, sg.n)
		if fi, err := os.Stat(sg.path); err == nil {
			size += fi.Size()
		}
	}
	// The entries are read in one pass, in the order they were added
	// (nearly the order they expire, as the expiry queue wants), grouped
	// by shard of the index, and then put in the maps (idmap.go).
	expected := int(size / entrySize)
	img.expiry = make([]expiring, 0, expected)
	buckets := newIDBuckets(expected)
	now := time.Now().UnixNano()
	for i, sg := range segs {
		rs, through, err := readSegmentFile(sg.path, now, func(e journaled) {
			img.expiry = append(img.expiry, e.expiring)
			buckets.add(e)
		})
		if err != nil {
			if i < len(segs)-1 {
				// Only the last segment can end in a partial chunk
				// (a process killed while writing it): the journal
				// is damaged.
				img.err = fmt.Errorf("%s: %w", filepath.Base(sg.path), err)
				img.expiry = nil
				return img
			}
			rs.partial = true
		}
		img.through = max(img.through, through)
		img.segs = append(img.segs, rs)
	}
	// An id in the journal twice was stored again after its window
	// passed: its later entry is the one kept (the expiry queue skips the
	// stale one).
	img.stored = buckets.fill()
	return img
}

// readSegmentFile calls add with every unexpired entry of the segment's
// intact chunks, and returns the last intact chunk's through; err tells
// the segment ends in a damaged or partial chunk.
func readSegmentFile(path string, now int64, add func(journaled)) (rs readSegment, through uint64, err error) {
	rs.path = path
	f, err := os.Open(path)
	if err != nil {
		return rs, 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	head := make([]byte, chunkHead)
	var body []byte
	for {
		if _, err := io.ReadFull(r, head); err != nil {
			if errors.Is(err, io.EOF) {
				return rs, through, nil
			}
			return rs, through, fmt.Errorf("partial chunk head")
		}
		if binary.LittleEndian.Uint32(head[0:]) != chunkMagic {
			return rs, through, fmt.Errorf("not a chunk")
		}
		n := binary.LittleEndian.Uint32(head[4:])
		if n > segmentMax/entrySize {
			return rs, through, fmt.Errorf("chunk of %d entries", n)
		}
		body = slices.Grow(body[:0], int(n)*entrySize)[:int(n)*entrySize]
		if _, err := io.ReadFull(r, body); err != nil {
			return rs, through, fmt.Errorf("partial chunk")
		}
		crc := crc32.Update(crc32.Checksum(head[12:], crcTable), crcTable, body)
		if crc != binary.LittleEndian.Uint32(head[8:]) {
			return rs, through, fmt.Errorf("damaged chunk")
		}
		rs.intact += int64(chunkHead + len(body))
		through = binary.LittleEndian.Uint64(head[12:])
		chunkNewest := int64(binary.LittleEndian.Uint64(head[20:]))
		rs.newest = max(rs.newest, chunkNewest)
		if chunkNewest <= now {
			continue // all expired
		}
		for b := body; len(b) >= entrySize; b = b[entrySize:] {
			e := journaled{expiring{expires: int64(binary.LittleEndian.Uint64(b[16:]))}, binary.LittleEndian.Uint64(b[24:])}
			if e.expires <= now {
				continue
			}
			copy(e.key[:], b[:16])
			add(e)
		}
	}
}

type segmentFile struct {
	n    int
	path string
}

// listSegments lists the segments of dir, oldest first.
func listSegments(dir string) ([]segmentFile, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var segs []segmentFile
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".seg")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		segs = append(segs, segmentFile{n, filepath.Join(dir, e.Name())})
	}
	slices.SortFunc(segs, func(a, b segmentFile) int { return a.n - b.n })
	return segs, nil
}

// JournalPreload is a journal being read in the background.
type JournalPreload struct {
	dir  string
	done chan struct{}
	img  *journalImage
}

// PreloadJournal starts reading the journal of the index directory dir
// (LogOptions.IndexDir) without touching it: the log that opens it later
// (LogOptions.Preload) checks what was read against the stream.
func PreloadJournal(dir string) *JournalPreload {
	p := &JournalPreload{dir: dir, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.img = readJournal(dir)
	}()
	return p
}

// image waits for the read, and returns it when it is of dir.
func (p *JournalPreload) image(dir string) *journalImage {
	if p == nil || p.dir != dir {
		return nil
	}
	<-p.done
	return p.img
}
