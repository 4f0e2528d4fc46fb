package tracing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/evtctl/evtctl/internal/buildinfo"
)

// enabled says whether spans are recorded: the hot paths read it before
// doing anything else.
var enabled atomic.Bool

// tracer is replaced by Setup; it is a no-op tracer until then.
var tracer atomic.Pointer[trace.Tracer]

func init() {
	var t trace.Tracer = noop.NewTracerProvider().Tracer("")
	tracer.Store(&t)
}

// Enabled reports whether spans are recorded and exported.
func Enabled() bool { return enabled.Load() }

// Config is what Setup understood of the environment.
type Config struct {
	Exporter string  // "otlp" or "none"
	Sampler  string  // the OTEL_TRACES_SAMPLER name
	Ratio    float64 // its argument, for the ratio samplers
}

// FromEnv reads the standard variables that decide whether and how much
// the gateway traces:
//
//   - OTEL_SDK_DISABLED=true turns tracing off whatever else is set;
//   - OTEL_TRACES_EXPORTER: "otlp" turns it on, "none" (the default here,
//     unlike the specification's, so that an upgraded gateway does not
//     start sending spans somewhere) leaves it off;
//   - OTEL_EXPORTER_OTLP_PROTOCOL / OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must
//     be http/protobuf (the only exporter built in);
//   - OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG as specified (default
//     parentbased_always_on).
//
// The exporter reads the other OTEL_EXPORTER_OTLP_* variables (endpoint,
// headers, certificates, compression, timeout) and the batch processor the
// OTEL_BSP_* ones from the process environment itself.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{Exporter: "none", Sampler: "parentbased_always_on", Ratio: 1}
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return c, nil
	}
	switch e := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); e {
	case "", "none":
	case "otlp":
		c.Exporter = e
	default:
		return c, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: evtctl exports traces with otlp (or none)", clip(e))
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := strings.TrimSpace(getenv(k)); p != "" {
			if p != "http/protobuf" && c.Exporter == "otlp" {
				return c, fmt.Errorf("%s=%q: evtctl exports OTLP over http/protobuf only", k, clip(p))
			}
			break
		}
	}
	if s := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER"))); s != "" {
		c.Sampler = s
	}
	switch c.Sampler {
	case "always_on", "always_off", "parentbased_always_on", "parentbased_always_off":
	case "traceidratio", "parentbased_traceidratio":
		if a := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG")); a != "" {
			r, err := strconv.ParseFloat(a, 64)
			if err != nil || r < 0 || r > 1 {
				return c, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG=%q: a ratio between 0 and 1", clip(a))
			}
			c.Ratio = r
		}
	default:
		return c, fmt.Errorf("OTEL_TRACES_SAMPLER=%q: not a sampler (always_on, always_off, traceidratio and their parentbased_ forms)", clip(c.Sampler))
	}
	return c, nil
}

func (c Config) sampler() sdktrace.Sampler {
	switch c.Sampler {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(c.Ratio)
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(c.Ratio))
	}
	return sdktrace.ParentBased(sdktrace.AlwaysSample())
}

// Setup turns tracing on when the environment asks for it and returns the
// function that flushes and stops it (a no-op when tracing stays off).
// One process traces with one configuration: a second Setup replaces the
// first.
func Setup(ctx context.Context, getenv func(string) string) (shutdown func(context.Context) error, err error) {
	c, err := FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if c.Exporter != "otlp" {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceVersion(buildinfo.Version),
	))
	if err != nil && !errors.Is(err, resource.ErrSchemaURLConflict) {
		return nil, err
	}
	if getenv("OTEL_SERVICE_NAME") == "" && !strings.Contains(getenv("OTEL_RESOURCE_ATTRIBUTES"), "service.name=") {
		res, _ = resource.Merge(res, resource.NewSchemaless(semconv.ServiceName("evtctl")))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(c.sampler()),
	)
	t := tp.Tracer("github.com/evtctl/evtctl", trace.WithInstrumentationVersion(buildinfo.Version))
	tracer.Store(&t)
	// Libraries that trace through the global provider join the same
	// pipeline.
	otel.SetTracerProvider(tp)
	enabled.Store(true)
	return func(ctx context.Context) error {
		enabled.Store(false)
		var n trace.Tracer = noop.NewTracerProvider().Tracer("")
		tracer.Store(&n)
		return tp.Shutdown(ctx)
	}, nil
}

// clip bounds a value echoed in an error.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
