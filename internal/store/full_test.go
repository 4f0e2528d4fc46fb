package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/store"
)

func TestFullStorageIsRecognisedAndClears(t *testing.T) {
	ctx := context.Background()
	b, err := store.Open(ctx, store.Options{Name: "test", DataDir: t.TempDir(), MaxStore: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	l, err := store.OpenLog(ctx, b.JS, store.LogOptions{MaxAge: time.Hour, DedupWindow: time.Minute, SoleWriter: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var flips []string
	full := store.NewFullState(func(f bool, reason string) { flips = append(flips, fmt.Sprint(f, " ", reason)) })

	pad := strings.Repeat("x", 1000)
	var fe *store.FullError
	for i := 0; i < 200; i++ {
		e := entry("a", fmt.Sprint(i), "m1")
		e.Data = fmt.Appendf(nil, `{"id":"%d","pad":%q}`, i, pad)
		_, err = l.Append(ctx, []store.Entry{e})
		full.Observe(err)
		if err != nil {
			break
		}
	}
	if fe = store.AsFull(err); fe == nil || !strings.Contains(fe.Reason, "insufficient resources") {
		t.Fatalf("append error %v, not recognised as full (%v)", err, fe)
	}
	if reason, _, ok := full.Full(); !ok || !strings.Contains(reason, "insufficient resources") {
		t.Fatalf("full state %q %v", reason, ok)
	}
	full.Probe(b.EmbeddedServer())
	if _, _, ok := full.Full(); !ok {
		t.Fatal("probe cleared the full state of a full store")
	}

	// Room is freed (retention would do the same): the probe clears the
	// state and the next append succeeds, without a restart.
	if err := l.Stream().Purge(ctx); err != nil {
		t.Fatal(err)
	}
	full.Probe(b.EmbeddedServer())
	if _, _, ok := full.Full(); ok {
		t.Fatal("full state not cleared by the probe after room was freed")
	}
	if _, err := l.Append(ctx, []store.Entry{entry("a", "after", "m1")}); err != nil {
		t.Fatalf("append after freeing room: %v", err)
	}
	if fmt.Sprint(flips) != "[true the JetStream storage limit is reached (insufficient resources) false ]" {
		t.Errorf("flips %q", flips)
	}
}
