package tracing_test

import (
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/tracing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	hostile := strings.Repeat("*>\xff", 1700)
	for _, c := range []struct {
		name     string
		env      map[string]string
		exporter string
		sampler  string
		ratio    float64
		err      string
	}{
		{"off by default", nil, "none", "parentbased_always_on", 1, ""},
		{"otlp", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, "otlp", "parentbased_always_on", 1, ""},
		{"disabled wins", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, "none", "parentbased_always_on", 1, ""},
		{"ratio", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"}, "otlp", "parentbased_traceidratio", 0.01, ""},
		{"grpc refused", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "", "", 0, "http/protobuf only"},
		{"traces protocol first", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "otlp", "parentbased_always_on", 1, ""},
		{"other exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "", "", 0, "otlp (or none)"},
		{"bad ratio", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, "", "", 0, "between 0 and 1"},
		{"hostile exporter", map[string]string{"OTEL_TRACES_EXPORTER": hostile}, "", "", 0, "otlp (or none)"},
		{"hostile sampler", map[string]string{"OTEL_TRACES_SAMPLER": hostile}, "", "", 0, "not a sampler"},
		{"hostile ratio", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": hostile}, "", "", 0, "between 0 and 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := tracing.FromEnv(envOf(c.env))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one saying %q", err, c.err)
				}
				if len(err.Error()) > 300 {
					t.Errorf("error of %d bytes echoes the value unbounded", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Exporter != c.exporter || got.Sampler != c.sampler || got.Ratio != c.ratio {
				t.Errorf("got %+v, want %s %s %v", got, c.exporter, c.sampler, c.ratio)
			}
		})
	}
}

func TestSampled(t *testing.T) {
	for tp, want := range map[string]bool{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01": true,
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00": false,
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03": true,
		"": false, "garbage": false,
	} {
		if got := tracing.Sampled(tp); got != want {
			t.Errorf("Sampled(%q) = %v", tp, got)
		}
	}
}
