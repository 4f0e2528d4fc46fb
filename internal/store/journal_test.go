package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/store/storetest"
	"github.com/evtctl/evtctl/internal/testkit"
)

// journaled opens the log on bb with the de-duplication journal in dir.
// The follower reads the log live (other writers) unless the test names
// itself "sole".
func journaled(t *testing.T, bb *store.Backbone, dir string, window time.Duration) *store.Log {
	t.Helper()
	sole := strings.Contains(t.Name(), "sole")
	l, err := store.OpenLog(context.Background(), bb.JS, store.LogOptions{MaxAge: 24 * time.Hour, DedupWindow: window, SoleWriter: sole, IndexDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// soundEntries is n sound events of four interleaved microphones, with ids
// prefix-0 … prefix-(n-1).
func soundEntries(prefix string, n int) []store.Entry {
	var es []store.Entry
	for i := range n {
		es = append(es, store.Entry{
			Address: store.Address{Family: "sound", Owner: "acme", DeviceID: fmt.Sprintf("mic-%d", i%4), EventType: "speech"},
			ID:      fmt.Sprintf("%s-%d", prefix, i), Data: []byte(`{"id":"x"}`)})
	}
	return es
}

// appendSound appends soundEntries in one batch (mixed bundles), or with
// lone set one event per message, and returns their positions.
func appendSound(t *testing.T, l *store.Log, prefix string, n int, lone bool) []uint64 {
	t.Helper()
	es := soundEntries(prefix, n)
	if !lone {
		res, err := l.Append(context.Background(), es)
		if err != nil {
			t.Fatal(err)
		}
		return res.Seqs
	}
	var seqs []uint64
	for _, e := range es {
		res, err := l.Append(context.Background(), []store.Entry{e})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, res.Seqs...)
	}
	return seqs
}

// expectDuplicates appends the same events again and checks that every
// one is a duplicate of the original position.
func expectDuplicates(t *testing.T, l *store.Log, prefix string, n int, want []uint64) {
	t.Helper()
	es := soundEntries(prefix, n)
	res, err := l.Append(context.Background(), es)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duplicates != n || !slices.Equal(res.Seqs, want) {
		t.Fatalf("%s: %d duplicates of %d, positions %v, want %v", prefix, res.Duplicates, n, res.Seqs, want)
	}
}

// A clean restart reads the index from the journal and the log not at all;
// every id is still a duplicate of its original position.
func TestJournalRestart(t *testing.T) {
	for _, name := range []string{"sole writer", "live follower"} {
		t.Run(name, testJournalRestart)
	}
}

func testJournalRestart(t *testing.T) {
	bb := storetest.Backbone(t)
	dir := t.TempDir()
	l := journaled(t, bb, dir, time.Hour)
	bundled := appendSound(t, l, "b", 1000, false)
	lone := appendSound(t, l, "l", 20, true)
	l.Close()

	again := journaled(t, bb, dir, time.Hour)
	if n, _ := again.JournalLoaded(); n != 1020 {
		t.Fatalf("loaded %d ids from the journal, want 1020", n)
	}
	expectDuplicates(t, again, "b", 1000, bundled)
	expectDuplicates(t, again, "l", 20, lone)
	more := appendSound(t, again, "m", 10, true) // new ones are stored
	again.Close()

	third := journaled(t, bb, dir, time.Hour)
	expectDuplicates(t, third, "m", 10, more)
	expectDuplicates(t, third, "b", 1000, bundled)
}

// After kill -9 the journal ends in a partial chunk and misses what was
// appended after its last chunk: the open cuts the partial chunk, reads the
// log after the last intact one, and the next open still trusts the
// journal.
func TestJournalAfterKill(t *testing.T) {
	for _, name := range []string{"sole writer", "live follower"} {
		t.Run(name, testJournalAfterKill)
	}
}

func testJournalAfterKill(t *testing.T) {
	t.Cleanup(store.SetJournalFlushEvery(time.Hour)) // only FlushJournal writes
	bb := storetest.Backbone(t)
	dir := t.TempDir()
	l := journaled(t, bb, dir, time.Hour)
	first := appendSound(t, l, "a", 500, false)
	// A live follower learns the bundles a moment after they are stored.
	testkit.Eventually(t, 10*time.Second, "the journal to hold the bundles", func() bool { return l.FlushJournal() > 0 })
	second := appendSound(t, l, "z", 30, true) // not in the journal yet
	crash := t.TempDir()
	copyDir(t, dir, crash)
	l.Close()
	// A chunk the killed process was writing: a head, then nothing.
	seg := lastSegment(t, crash)
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte{0x45, 0x56, 0x44, 0x4a, 9, 0, 0})
	f.Close()

	again := journaled(t, bb, crash, time.Hour)
	n, through := again.JournalLoaded()
	if n != 500 || through == 0 {
		t.Fatalf("loaded %d ids through message %d, want the 500 of the flushed chunk", n, through)
	}
	expectDuplicates(t, again, "a", 500, first)
	expectDuplicates(t, again, "z", 30, second) // from the log's tail
	again.Close()

	third := journaled(t, bb, crash, time.Hour)
	if n, _ := third.JournalLoaded(); n != 530 {
		t.Fatalf("loaded %d ids, want 530", n)
	}
	expectDuplicates(t, third, "z", 30, second)
}

// The journal read in the background while storage starts is what the
// log takes; one read for another directory is ignored.
func TestJournalPreloaded(t *testing.T) {
	bb := storetest.Backbone(t)
	dir := t.TempDir()
	l := journaled(t, bb, dir, time.Hour)
	seqs := appendSound(t, l, "a", 300, false)
	l.Close()
	for _, pre := range []*store.JournalPreload{store.PreloadJournal(dir), store.PreloadJournal(t.TempDir())} {
		again, err := store.OpenLog(context.Background(), bb.JS, store.LogOptions{MaxAge: 24 * time.Hour, DedupWindow: time.Hour, IndexDir: dir, Preload: pre})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := again.JournalLoaded(); n != 300 {
			t.Fatalf("loaded %d ids, want 300", n)
		}
		expectDuplicates(t, again, "a", 300, seqs)
		again.Close()
	}
}

// A journal that does not belong to the log is not used: the event
// stream deleted and created again starts with an empty index, and the
// same ids are stored anew.
func TestJournalOfAnotherStream(t *testing.T) {
	bb := storetest.Backbone(t)
	dir := t.TempDir()
	l := journaled(t, bb, dir, time.Hour)
	appendSound(t, l, "a", 100, false)
	l.Close()
	if err := bb.JS.DeleteStream(context.Background(), store.StreamName); err != nil {
		t.Fatal(err)
	}
	again := journaled(t, bb, dir, time.Hour)
	if n, _ := again.JournalLoaded(); n != 0 {
		t.Fatalf("loaded %d ids of a deleted stream", n)
	}
	expectAccepted(t, again, "a-0", "append after recreation")
}

// Files that are not a journal (garbage meta, a damaged older segment) make
// the open read the window back from the log: nothing is forgotten.
func TestJournalDamaged(t *testing.T) {
	for name, damage := range map[string]func(t *testing.T, dir string){
		"meta": func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "meta"), "\xff\xfe{not json")
		},
		"older segment": func(t *testing.T, dir string) {
			seg := lastSegment(t, dir)
			raw, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			raw[40] ^= 0xff // inside the first entry
			write(t, seg, string(raw))
			write(t, filepath.Join(dir, "9999999999.seg"), "") // a newer, empty one
		},
	} {
		t.Run(name, func(t *testing.T) {
			bb := storetest.Backbone(t)
			dir := t.TempDir()
			l := journaled(t, bb, dir, time.Hour)
			seqs := appendSound(t, l, "a", 200, false)
			l.Close()
			damage(t, dir)
			again := journaled(t, bb, dir, time.Hour)
			if n, _ := again.JournalLoaded(); n != 0 {
				t.Fatalf("loaded %d ids from a damaged journal", n)
			}
			expectDuplicates(t, again, "a", 200, seqs) // read back from the log
		})
	}
}

// Ids whose window has passed are not loaded, and a segment holding only
// such ids is removed.
func TestJournalDropsExpired(t *testing.T) {
	bb := storetest.Backbone(t)
	dir := t.TempDir()
	l := journaled(t, bb, dir, 300*time.Millisecond)
	appendSound(t, l, "a", 50, false)
	l.Close()
	time.Sleep(400 * time.Millisecond)
	again := journaled(t, bb, dir, 300*time.Millisecond)
	if n, _ := again.JournalLoaded(); n != 0 {
		t.Fatalf("loaded %d expired ids", n)
	}
	if segs, _ := filepath.Glob(filepath.Join(dir, "*.seg")); len(segs) != 1 {
		t.Fatalf("segments %v, want only the new one", segs)
	}
	expectAccepted(t, again, "a-0", "an expired id again")
	if segs, _ := filepath.Glob(filepath.Join(dir, "*.seg")); len(segs) != 1 {
		t.Fatalf("segments %v, want only the new one", segs)
	}
}

func lastSegment(t *testing.T, dir string) string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no segment in %s: %v", dir, err)
	}
	slices.Sort(segs)
	return segs[len(segs)-1]
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		raw, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(to, e.Name()), string(raw))
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A changed storage.dedup_window moves every expiry: the window is read
// back from the log once, and the journal starts again under the new one.
func TestJournalWindowChanged(t *testing.T) {
	bb := storetest.Backbone(t)
	dir := t.TempDir()
	l := journaled(t, bb, dir, time.Hour)
	seqs := appendSound(t, l, "a", 100, false)
	l.Close()
	again := journaled(t, bb, dir, 2*time.Hour)
	if n, _ := again.JournalLoaded(); n != 0 {
		t.Fatalf("loaded %d ids written under another window", n)
	}
	expectDuplicates(t, again, "a", 100, seqs)
	again.Close()
	third := journaled(t, bb, dir, 2*time.Hour)
	if n, _ := third.JournalLoaded(); n != 100 {
		t.Fatalf("loaded %d ids, want the 100 read back and journaled again", n)
	}
}

// expectAccepted appends one sound event with id and fails unless it is
// stored (not taken for a duplicate).
func expectAccepted(t *testing.T, l *store.Log, id, what string) {
	t.Helper()
	res, err := l.Append(context.Background(), []store.Entry{{
		Address: store.Address{Family: "sound", Owner: "acme", DeviceID: "mic-0", EventType: "speech"},
		ID:      id, Data: []byte(`{}`)}})
	if err != nil || res.Accepted != 1 {
		t.Fatalf("%s: %+v %v", what, res, err)
	}
}

// Flushes running all along while ids are added (the writer hands each
// chunk's buffer back to the index for the next one, some flushes have
// nothing new) lose and mix up nothing. An append landing exactly while a
// chunk is written is what would show a buffer shared by both sides; this
// test makes that likely under -race, not certain.
func TestJournalManyFlushes(t *testing.T) {
	t.Cleanup(store.SetJournalFlushEvery(time.Hour)) // only FlushJournal writes
	bb := storetest.Backbone(t)
	dir := t.TempDir()
	l := journaled(t, bb, dir, time.Hour)
	// Flushes run all along, some with nothing new (a head alone), while
	// the index keeps adding ids to the buffer it was handed.
	stop := make(chan struct{})
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		for {
			select {
			case <-stop:
				return
			default:
				l.FlushJournal()
			}
		}
	}()
	seqs := map[string][]uint64{}
	for round := range 6 {
		prefix := fmt.Sprint("r", round)
		seqs[prefix] = appendSound(t, l, prefix, 100+round*50, round%2 == 1)
	}
	close(stop)
	<-flushed
	l.Close()
	again := journaled(t, bb, dir, time.Hour)
	if n, _ := again.JournalLoaded(); n != 6*100+50*15 {
		t.Fatalf("loaded %d ids, want %d", n, 6*100+50*15)
	}
	for round := range 6 {
		prefix := fmt.Sprint("r", round)
		expectDuplicates(t, again, prefix, 100+round*50, seqs[prefix])
	}
}
