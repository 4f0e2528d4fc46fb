package loadtest

import (
	"context"
	"os"
	"runtime"
	"testing"
)

// --server-pid reads VmRSS from /proc: this test process's own resident
// memory is there, a few MiB at least; a process that does not exist is a
// clear error.
func TestPidRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	rss, err := pidRSS(os.Getpid())(context.Background())
	if err != nil || rss < 1<<20 {
		t.Fatalf("own RSS = %d, %v", rss, err)
	}
	if _, err := pidRSS(1 << 30)(context.Background()); err == nil {
		t.Fatal("no error for a process that does not exist")
	}
}
