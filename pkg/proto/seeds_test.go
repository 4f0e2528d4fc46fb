package proto

import (
	"os"
	"path/filepath"
	"testing"
)

// seedDir holds the example payloads of the source documents (see its README.md).
const seedDir = "../../testdata/seeds"

// seedFiles maps each seed file to its family.
var seedFiles = []struct {
	name   string
	family Family
}{
	{"sound_event.json", FamilySound},
	{"analysis_result.json", FamilyAnalysis},
	{"identification_websocket.json", FamilyIdentification},
	{"identification_webhook.json", FamilyIdentification},
	{"composite_event.json", FamilyComposite},
}

func readSeed(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(seedDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
