package tracing_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/evtctl/evtctl/internal/tracing"
)

// BenchmarkRequestSpans is what tracing adds to one ingest request of the
// ingest benchmark, alone: extracting the (absent) producer context, the
// ingest and store.append spans, the traceparent stamped on the stored
// message, exporting over OTLP/HTTP to a receiver in the process that
// discards what it gets. Its ns/op next to the request's milliseconds is
// the overhead, without the noise of a whole gateway on a shared machine.
func BenchmarkRequestSpans(b *testing.B) {
	for _, mode := range []struct{ name, exporter, ratio string }{
		{"off", "none", ""},
		{"1pct", "otlp", "0.01"},
		{"100pct", "otlp", "1"},
	} {
		b.Run("tracing="+mode.name, func(b *testing.B) {
			collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
			}))
			defer collector.Close()
			b.Setenv("OTEL_TRACES_EXPORTER", mode.exporter)
			b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
			b.Setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
			b.Setenv("OTEL_TRACES_SAMPLER_ARG", mode.ratio)
			stop, err := tracing.Setup(context.Background(), os.Getenv)
			if err != nil {
				b.Fatal(err)
			}
			defer stop(context.Background())
			hdr := http.Header{}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ctx := tracing.Extract(context.Background(), hdr)
				ctx, ingest := tracing.Start(ctx, "ingest", trace.SpanKindServer)
				actx, appendSpan := tracing.Start(ctx, "store.append", trace.SpanKindInternal)
				if tp := tracing.Traceparent(actx); mode.exporter == "otlp" && tp == "" {
					b.Fatal("no traceparent to store")
				}
				appendSpan.End()
				ingest.End()
			}
		})
	}
}
