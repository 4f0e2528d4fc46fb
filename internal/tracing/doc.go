// Package tracing sets OpenTelemetry tracing up from the standard OTEL_*
// variables (off unless an OTLP exporter is asked for) and holds the few
// helpers the gateway's paths call to start spans and to carry a W3C
// traceparent from a producer's request, with the stored event, to the
// webhook requests it causes.
//
// Off, every helper returns at once (one atomic load) except that a
// producer's traceparent is still kept with its events and passed on to
// webhook receivers unchanged, so their traces join the producer's even
// when the gateway itself exports nothing.
package tracing
