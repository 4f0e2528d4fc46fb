package ingest

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/evtctl/evtctl/pkg/proto"
)

// The parallel validation of a large batch gives what validating it in one
// piece gives: entries in request order, or every problem with its index.
func TestPrepareLargeBatchMatchesSequential(t *testing.T) {
	seed, err := os.ReadFile("../../testdata/seeds/sound_event.json")
	if err != nil {
		t.Fatal(err)
	}
	records := make([][]byte, 3*parallelFrom+7)
	for i := range records {
		records[i] = bytes.Replace(seed, []byte(`"evt_001"`), []byte(fmt.Sprintf(`"e-%d"`, i)), 1)
	}
	whole, problems := prepareRange(proto.FamilySound, "acme", records, 0)
	if len(problems) > 0 || len(whole) != len(records) {
		t.Fatalf("sequential: %d entries, problems %v", len(whole), problems)
	}
	entries, problems := prepare(proto.FamilySound, "acme", records)
	if len(problems) > 0 || len(entries) != len(records) {
		t.Fatalf("parallel: %d entries, problems %v", len(entries), problems)
	}
	for i := range entries {
		if entries[i].ID != whole[i].ID || !bytes.Equal(entries[i].Data, whole[i].Data) || entries[i].Address != whole[i].Address {
			t.Fatalf("entry %d: %+v, want %+v", i, entries[i], whole[i])
		}
		if bytes.ContainsAny(entries[i].Data, "\n ") && bytes.Contains(entries[i].Data, []byte(`": `)) {
			t.Fatalf("entry %d not compacted: %s", i, entries[i].Data)
		}
	}

	bad := []int{3, parallelFrom + 1, len(records) - 1}
	for _, i := range bad {
		records[i] = []byte(`{"id":"broken"}`)
	}
	entries, problems = prepare(proto.FamilySound, "acme", records)
	if entries != nil {
		t.Errorf("%d entries from a failing batch", len(entries))
	}
	var seen []int
	for _, p := range problems {
		if len(seen) == 0 || seen[len(seen)-1] != p.Index {
			seen = append(seen, p.Index)
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint(bad) {
		t.Errorf("problems at records %v, want %v", seen, bad)
	}
}
