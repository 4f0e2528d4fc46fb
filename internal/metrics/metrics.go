// Package metrics defines the gateway's Prometheus metrics in one place, on
// a registry of its own (so tests can create as many servers as they like).
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are shared by every component of one server.
type Metrics struct {
	Registry *prometheus.Registry

	IngestEvents   *prometheus.CounterVec   // family, result: accepted|duplicate|rejected
	IngestRequests *prometheus.CounterVec   // family, status
	IngestLatency  *prometheus.HistogramVec // family: request start → durable

	StreamConnections *prometheus.GaugeVec   // transport
	StreamOpened      *prometheus.CounterVec // transport
	StreamRejected    *prometheus.CounterVec // transport, reason
	StreamDisconnects *prometheus.CounterVec // transport, reason
	StreamMessages    *prometheus.CounterVec // transport
	QueueOverflows    *prometheus.CounterVec // transport

	JetStreamUp       prometheus.Gauge
	StorageReconnects *prometheus.CounterVec // how: resumed|rebuilt

	StorageLostMessages *prometheus.GaugeVec // stream: messages lost to damage, not acknowledged yet
	StorageFull         prometheus.Gauge     // 1 while storage refuses writes for lack of room

	EdgeSourceRestarts *prometheus.CounterVec // edge

	// FanoutLag is how old the newest event was when the hub fanned it out
	// (storage to fan-out): the live streams' lag behind the log.
	FanoutLag prometheus.Gauge
}

// New creates the metrics and registers them with Go and process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		IngestEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_ingest_events_total", Help: "Events received by the ingest API, by family and result (accepted, duplicate, rejected).",
		}, []string{"family", "result"}),
		IngestRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_ingest_requests_total", Help: "Ingest requests by family and HTTP status.",
		}, []string{"family", "status"}),
		IngestLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "evtctl_ingest_duration_seconds", Help: "Time from the start of an ingest request until its events are durable.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"family"}),
		StreamConnections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "evtctl_stream_connections", Help: "Open stream connections by transport.",
		}, []string{"transport"}),
		StreamOpened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_stream_connections_opened_total", Help: "Stream connections accepted, by transport.",
		}, []string{"transport"}),
		StreamRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_stream_connections_rejected_total", Help: "Stream connections refused, by transport and reason.",
		}, []string{"transport", "reason"}),
		StreamDisconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_stream_disconnects_total", Help: "Stream connections closed, by transport and reason.",
		}, []string{"transport", "reason"}),
		StreamMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_stream_messages_total", Help: "Event messages queued to stream connections, by transport.",
		}, []string{"transport"}),
		QueueOverflows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_stream_queue_overflows_total", Help: "Connections dropped because their send queue was full, by transport.",
		}, []string{"transport"}),
		EdgeSourceRestarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_edge_source_restarts_total", Help: "Edge sources (storage.edge_sources) restarted because they had stalled while their edge answered.",
		}, []string{"edge"}),
		JetStreamUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "evtctl_jetstream_up", Help: "1 when JetStream answered the last health check, else 0.",
		}),
		StorageReconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_storage_reconnects_total",
			Help: "Connections to NATS re-established: resumed (NATS reconnected the same connection) or rebuilt (NATS closed it for good, and the gateway rebuilt its storage components on a new one).",
		}, []string{"how"}),
		StorageLostMessages: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "evtctl_storage_lost_messages", Help: "JetStream messages found lost to damaged storage files, by stream, until acknowledged with `evtctl data check --ack`.",
		}, []string{"stream"}),
		StorageFull: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "evtctl_storage_full", Help: "1 while storage refuses to store events for lack of room (ingest answers 507), else 0.",
		}),
	}
	m.FanoutLag = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "evtctl_stream_fanout_lag_seconds", Help: "Age of the newest event fanned out to the live streams when the hub dispatched it (storage to fan-out).",
	})
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.IngestEvents, m.IngestRequests, m.IngestLatency,
		m.StreamConnections, m.StreamOpened, m.StreamRejected, m.StreamDisconnects, m.StreamMessages, m.QueueOverflows,
		m.JetStreamUp, m.StorageReconnects, m.StorageLostMessages, m.StorageFull,
		m.EdgeSourceRestarts,
		m.FanoutLag,
	)
	return m
}
