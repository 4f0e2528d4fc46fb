package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/internal/store/storetest"
	"github.com/evtctl/evtctl/pkg/proto"
)

// The longest subject the edge lets through (every value at its bound and
// escaped to three bytes a byte) is stored and read back; one byte more is
// refused before it reaches NATS, and the connection stays usable.
func TestSubjectLimits(t *testing.T) {
	ctx := context.Background()
	b := storetest.Backbone(t)
	l := storetest.Log(t, b)

	worst := store.Address{
		Family:    string(proto.FamilyIdentification),
		Owner:     strings.Repeat(".", proto.MaxOwnerLen),
		DeviceID:  strings.Repeat("*", proto.MaxIdentLen),
		AgentID:   strings.Repeat(">", proto.MaxIdentLen),
		EventType: strings.Repeat(" ", proto.MaxIdentLen),
	}
	if n := len(worst.Subject()); n != store.MaxSubjectLen {
		t.Fatalf("worst-case subject is %d bytes, MaxSubjectLen says %d", n, store.MaxSubjectLen)
	}
	res, err := l.Append(ctx, []store.Entry{{Address: worst, ID: "e1", Data: []byte(`{}`)}})
	if err != nil || res.Accepted != 1 {
		t.Fatalf("append at the bound: %+v, %v", res, err)
	}
	if rec, err := l.Last(ctx, worst.Subject()); err != nil || rec.Address != worst {
		t.Fatalf("last at the bound: %+v, %v", rec, err)
	}

	over := worst
	over.DeviceID += "*"
	if _, err := l.Append(ctx, []store.Entry{{Address: over, ID: "e2", Data: []byte(`{}`)}}); !errors.Is(err, store.ErrTooLong) {
		t.Fatalf("append past the bound: %v, want ErrTooLong", err)
	}
	if _, err := l.Last(ctx, over.Subject()); !errors.Is(err, store.ErrTooLong) {
		t.Fatalf("last past the bound: %v, want ErrTooLong", err)
	}
	err = l.Read(ctx, store.ReadOptions{Filters: []string{store.Filter{DeviceID: over.DeviceID}.Subject() + strings.Repeat("x", 4096)}}, func(store.Record) bool { return true })
	if !errors.Is(err, store.ErrTooLong) {
		t.Fatalf("read past the bound: %v, want ErrTooLong", err)
	}
	if err := b.Healthy(ctx); err != nil {
		t.Fatalf("connection after refused subjects: %v", err)
	}
	if res, err := l.Append(ctx, []store.Entry{{Address: store.Address{Family: "sound", Owner: "o", DeviceID: "m", EventType: "t"}, ID: "e3", Data: []byte(`{}`)}}); err != nil || res.Accepted != 1 {
		t.Fatalf("append after refused subjects: %+v, %v", res, err)
	}
}
