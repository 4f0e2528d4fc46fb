package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/evtctl/evtctl/internal/store"
)

// logCollector reports the event log's size at scrape time.
type logCollector struct {
	log                   *store.Log
	msgs, bytes, firstSeq *prometheus.Desc
	lastSeq               *prometheus.Desc
}

func newLogCollector(l *store.Log) *logCollector {
	return &logCollector{
		log:      l,
		msgs:     prometheus.NewDesc("evtctl_log_messages", "JetStream messages held in the event log (a bundle of events from one batch is one message).", nil, nil),
		bytes:    prometheus.NewDesc("evtctl_log_bytes", "Bytes held in the event log.", nil, nil),
		firstSeq: prometheus.NewDesc("evtctl_log_first_sequence", "Oldest cursor still in the event log.", nil, nil),
		lastSeq:  prometheus.NewDesc("evtctl_log_last_sequence", "Newest cursor in the event log.", nil, nil),
	}
}

func (c *logCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.msgs
	ch <- c.bytes
	ch <- c.firstSeq
	ch <- c.lastSeq
}

func (c *logCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.log.State(ctx)
	if err != nil {
		return // evtctl_jetstream_up tells the story
	}
	ch <- prometheus.MustNewConstMetric(c.msgs, prometheus.GaugeValue, float64(st.Msgs))
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(st.Bytes))
	ch <- prometheus.MustNewConstMetric(c.firstSeq, prometheus.GaugeValue, float64(st.FirstSeq))
	ch <- prometheus.MustNewConstMetric(c.lastSeq, prometheus.GaugeValue, float64(st.LastSeq))
}
