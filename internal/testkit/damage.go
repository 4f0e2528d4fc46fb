package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// DamageBlock overwrites 4 KiB in the middle of the largest block file of
// the JetStream stream under dataDir, as a disk or a careless hand would,
// and returns that file's path.
func DamageBlock(t testing.TB, dataDir, stream string) string {
	t.Helper()
	blks, _ := filepath.Glob(filepath.Join(dataDir, "jetstream", "jetstream", "*", "streams", stream, "msgs", "*.blk"))
	if len(blks) == 0 {
		out, _ := exec.Command("find", dataDir).CombinedOutput()
		t.Fatalf("no block file of %s under %s: %s", stream, dataDir, out)
	}
	var path string
	var size int64
	for _, b := range blks {
		if fi, err := os.Stat(b); err == nil && fi.Size() > size {
			path, size = b, fi.Size()
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(i*7 + 3)
	}
	if _, err := f.WriteAt(junk, size/2-2048); err != nil {
		t.Fatal(err)
	}
	return path
}
