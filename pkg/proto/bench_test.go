package proto

import "testing"

// The ingest path calls Extract for every event (target: 100,000 events/s on 2 cores) and
// AppendCompact for every accepted one. Run with
//
//	go test -run x -bench . -benchmem ./pkg/proto/

func benchExtract(b *testing.B, f Family, seed string) {
	data := AppendCompact(nil, readSeed(b, seed))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, errs := Extract(f, data); errs != nil {
			b.Fatal(errs)
		}
	}
}

func BenchmarkExtractSound(b *testing.B) { benchExtract(b, FamilySound, "sound_event.json") }
func BenchmarkExtractAnalysis(b *testing.B) {
	benchExtract(b, FamilyAnalysis, "analysis_result.json")
}
func BenchmarkExtractIdentification(b *testing.B) {
	benchExtract(b, FamilyIdentification, "identification_webhook.json")
}
func BenchmarkExtractComposite(b *testing.B) {
	benchExtract(b, FamilyComposite, "composite_event.json")
}

func BenchmarkAppendCompact(b *testing.B) {
	src := readSeed(b, "composite_event.json")
	dst := make([]byte, 0, len(src))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendCompact(dst[:0], src)
	}
}

// BenchmarkAppendCompactFast measures an already compact event without any space.
func BenchmarkAppendCompactFast(b *testing.B) {
	src := readSeed(b, "analysis_result.json")
	src = src[:len(src)-1] // the trailing newline
	dst := make([]byte, 0, len(src))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendCompact(dst[:0], src)
	}
}

func BenchmarkParseTime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTime("2024-05-29 10:48:27.364000+00:00"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSound(b *testing.B) {
	data := readSeed(b, "sound_event.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeSound(data); err != nil {
			b.Fatal(err)
		}
	}
}
