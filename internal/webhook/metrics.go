package webhook

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evtctl/evtctl/internal/filter"
)

// metricSet holds the dispatcher's metrics. Queue depth is read from the
// JetStream consumers at scrape time rather than tracked, so it is right
// across nodes and restarts.
type metricSet struct {
	attempts   *prometheus.CounterVec // outcome
	deliveries *prometheus.CounterVec // outcome: succeeded, failed, filtered
	latency    prometheus.Histogram   // one attempt
	firstDelay prometheus.Histogram   // event received → first attempt
	// operational counts operational events stored, by type ("lost": not
	// stored after every try).
	operational *prometheus.CounterVec
	// condErrors reads filter.EvalErrors: condition evaluations that
	// failed and so did not match (every node's streams and webhooks).
	condErrors prometheus.CounterFunc
}

func newMetrics() *metricSet {
	buckets := []float64{.0005, .001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10}
	return &metricSet{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_webhook_attempts_total",
			Help: "Webhook attempts by outcome: success, http_error, gone, timeout, network_error, refused (SSRF guard), breaker_open (not sent).",
		}, []string{"outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_webhook_deliveries_total",
			Help: "Webhook deliveries finished, by outcome: succeeded, failed (schedule exhausted or 410), filtered (no filter passed the event).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "evtctl_webhook_attempt_duration_seconds", Help: "Duration of one webhook attempt (request start to response headers or error).",
			Buckets: buckets,
		}),
		firstDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "evtctl_webhook_first_attempt_delay_seconds", Help: "Time from an event's receipt by the gateway to the start of its first webhook attempt.",
			Buckets: buckets,
		}),
		operational: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "evtctl_operational_events_total",
			Help: "Operational events stored by this node, by type (endpoint.disabled, endpoint.enabled, endpoint.recovered, delivery.exhausted; lost = not stored after every try).",
		}, []string{"type"}),
		condErrors: prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "evtctl_filter_condition_errors_total",
			Help: "Evaluations of filters' payload conditions that failed (missing field, wrong type, cost limit) and so did not match.",
		}, func() float64 { return float64(filter.EvalErrors.Load()) }),
	}
}

func (m *metricSet) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.attempts, m.deliveries, m.latency, m.firstDelay, m.operational, m.condErrors}
}

// queueCollector reports, per webhook endpoint running on this node, the
// events its consumer has not handed out yet (state="new") and those handed
// out but not finished: in flight or waiting for a retry (state="unacked").
type queueCollector struct {
	s     *Service
	depth *prometheus.Desc
	open  *prometheus.Desc
}

func newQueueCollector(s *Service) *queueCollector {
	return &queueCollector{
		s:     s,
		depth: prometheus.NewDesc("evtctl_webhook_queue_depth", "Events queued for a webhook endpoint: new (not yet attempted) and unacked (in flight or waiting for a retry).", []string{"endpoint", "state"}, nil),
		open:  prometheus.NewDesc("evtctl_webhook_breaker_open", "1 while an endpoint's circuit breaker on this node refuses attempts.", []string{"endpoint"}, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.open
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := time.Now()
	for _, w := range c.s.runningWorkers() {
		open := 0.0
		if w.br.open(now) {
			open = 1
		}
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, open, w.id)
		cons := w.consumer()
		if cons == nil {
			continue
		}
		info, err := cons.Info(ctx)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(info.NumPending), w.id, "new")
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(info.NumAckPending), w.id, "unacked")
	}
}
