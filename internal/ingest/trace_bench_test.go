package ingest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/serve"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/internal/tracing"
)

// BenchmarkIngestNDJSONBatch1000Tracing is BenchmarkIngestNDJSONBatch1000
// (and its Gateway variant, where composite detection and fan-out add
// spans of their own) with tracing off, on at 1 % sampling and on at
// 100 %, exporting over OTLP/HTTP to a receiver in the same process that
// discards what it gets. The sub-benchmarks alternate within one -count
// round, so that their ratio holds on a shared machine.
func BenchmarkIngestNDJSONBatch1000Tracing(b *testing.B) {
	for _, shape := range []struct {
		name  string
		build func(b *testing.B) *servertest.Harness
	}{
		{"ingest", func(b *testing.B) *servertest.Harness { return servertest.Run(b, nil) }},
		{"gateway", func(b *testing.B) *servertest.Harness { return servertest.Run(b, serve.Components) }},
	} {
		for _, mode := range []struct{ name, exporter, ratio string }{
			{"off", "none", ""},
			{"1pct", "otlp", "0.01"},
			{"100pct", "otlp", "1"},
		} {
			b.Run(shape.name+"/tracing="+mode.name, func(b *testing.B) {
				collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
					w.Header().Set("Content-Type", "application/x-protobuf")
				}))
				b.Cleanup(collector.Close)
				b.Setenv("OTEL_TRACES_EXPORTER", mode.exporter)
				b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
				b.Setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
				b.Setenv("OTEL_TRACES_SAMPLER_ARG", mode.ratio)
				stop, err := tracing.Setup(context.Background(), os.Getenv)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = stop(context.Background()) })
				benchBatches(b, shape.build(b))
			})
		}
	}
}
