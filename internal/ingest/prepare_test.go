package ingest

import (
	"bytes"
	"fmt"
	"os"
	"strings"
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
	whole, problems := prepareRange(proto.FamilySound, "acme", records, 0, 1<<20)
	if len(problems) > 0 || len(whole) != len(records) {
		t.Fatalf("sequential: %d entries, problems %v", len(whole), problems)
	}
	entries, problems := prepare(proto.FamilySound, "acme", records, 1<<20)
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
	entries, problems = prepare(proto.FamilySound, "acme", records, 1<<20)
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

// An event larger than storage's message limit is a validation problem of
// that record, not a storage failure to retry.
func TestPrepareRefusesOversizedEvent(t *testing.T) {
	big := []byte(`{"id":"e1","label_id":"g","mic_id":"m","created_at":"2026-03-26T09:00:00Z","blob":"` + strings.Repeat("x", 2000) + `"}`)
	small := []byte(`{"id":"e2","label_id":"g","mic_id":"m","created_at":"2026-03-26T09:00:00Z"}`)
	_, problems := prepare(proto.FamilySound, "acme", [][]byte{small, big}, 1000)
	if len(problems) != 1 || problems[0].Index != 1 || !strings.Contains(problems[0].Reason, "at most 1000") {
		t.Fatalf("problems %+v", problems)
	}
}
