package loadtest

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable renders the report for a person: one section per concern,
// one "name  value" line per figure.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	c := r.Connections
	workers := ""
	if r.Workers > 1 {
		workers = fmt.Sprintf(", %d workers", r.Workers)
	}
	fmt.Fprintf(tw, "%s %s (%.1fs%s)\n", strings.ToUpper(r.Transport), r.URL, r.DurationSec, workers)
	fmt.Fprintln(tw, "CONNECTIONS")
	row("attempted", strconv.FormatInt(c.Attempted, 10))
	row("established", fmt.Sprintf("%d (ramp %.1fs)", c.Established, r.RampSec))
	row("rejected", withBreakdown(c.Rejected, c.RejectedByStatus))
	row("dial errors", withBreakdown(c.DialErrors, c.DialErrorsByCause))
	row("disconnects", withBreakdown(c.Disconnects, c.DisconnectsByCode))
	row("connect ms", percentiles(r.Connect))
	row("first message ms", percentiles(r.FirstMessage))
	fmt.Fprintln(tw, "MESSAGES")
	m := r.Messages
	row("received", fmt.Sprintf("%d (%d keep-alives), %.1f/s", m.Total, m.KeepAlives, m.PerSec))
	deliveries := strconv.FormatInt(m.Deliveries, 10)
	if m.DeliveryRatio != nil {
		deliveries += fmt.Sprintf(" of %d expected (ratio %.4f)", m.ExpectedDeliveries, *m.DeliveryRatio)
	}
	if m.DeliveriesPerSec > 0 {
		deliveries += fmt.Sprintf(", %.0f/s", m.DeliveriesPerSec)
	}
	row("deliveries", deliveries)
	if m.BadTimestamps > 0 {
		row("bad ts_ns", strconv.FormatInt(m.BadTimestamps, 10))
	}
	row("latency ms", percentiles(r.Latency))
	if p := r.Publish; p != nil {
		fmt.Fprintln(tw, "PUBLISH")
		row("requests", fmt.Sprintf("%d ok of %d sent at %g/s over %.1fs, %d skipped", p.OK, p.Attempted, p.Rate, p.Sec, p.Skipped))
		row("errors", withBreakdown(sum(p.Errors), p.Errors))
		row("round trip ms", percentiles(p.RTT))
	}
	if mem := r.Memory; mem != nil {
		fmt.Fprintln(tw, "SERVER MEMORY")
		row("source", mem.Source)
		row("rss", fmt.Sprintf("%s before, %s with connections", mib(mem.BeforeBytes), mib(mem.AfterBytes)))
		row("per connection", fmt.Sprintf("%.1f KiB", mem.PerConnKiB))
	}
	if len(r.Samples) > 0 {
		fmt.Fprintln(tw, "ERROR SAMPLES")
		for _, k := range sortedKeys(r.Samples) {
			row(k, r.Samples[k])
		}
	}
	return tw.Flush()
}

func withBreakdown(total int64, by map[string]int64) string {
	if total == 0 {
		return "0"
	}
	var parts []string
	for _, k := range sortedKeys(by) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, by[k]))
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

func percentiles(p *Percentiles) string {
	if p == nil {
		return "-"
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (n=%d)", f(p.P50), f(p.P90), f(p.P99), f(p.P999), f(p.Max), p.Count)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
