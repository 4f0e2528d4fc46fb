package composite

import "github.com/prometheus/client_golang/prometheus"

// collector exports the engine's counters at scrape time, so the hot path
// only increments plain integers under the lock it already holds.
type collector struct{ s *Service }

var (
	lateDesc = prometheus.NewDesc("evtctl_composite_late_events_total",
		"Sound events that matched a rule but arrived later than composite.allowed_lateness behind their tenant's newest event; not used.", nil, nil)
	dupDesc = prometheus.NewDesc("evtctl_composite_duplicate_events_total",
		"Sound events that matched a rule but repeated an id already seen; not used.", nil, nil)
	suppressedDesc = prometheus.NewDesc("evtctl_composite_cooldown_suppressed_total",
		"(event, rule) pairs not used because the rule's group was in its cooldown.", nil, nil)
	derivedDesc = prometheus.NewDesc("evtctl_composite_derived_total",
		"Composites derived by the engine, including re-derivations during a restart's rebuild.", nil, nil)
	groupsDesc = prometheus.NewDesc("evtctl_composite_active_groups",
		"Open composite groups (buffered events or a running cooldown) on this node.", nil, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lateDesc
	ch <- dupDesc
	ch <- suppressedDesc
	ch <- derivedDesc
	ch <- groupsDesc
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.s.mu.Lock()
	st := c.s.engine.Stats()
	c.s.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(lateDesc, prometheus.CounterValue, float64(st.Late))
	ch <- prometheus.MustNewConstMetric(dupDesc, prometheus.CounterValue, float64(st.Duplicates))
	ch <- prometheus.MustNewConstMetric(suppressedDesc, prometheus.CounterValue, float64(st.Suppressed))
	ch <- prometheus.MustNewConstMetric(derivedDesc, prometheus.CounterValue, float64(st.Emitted))
	ch <- prometheus.MustNewConstMetric(groupsDesc, prometheus.GaugeValue, float64(st.Groups))
}
