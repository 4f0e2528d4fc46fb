// Package monitoring holds the Grafana dashboard and the Prometheus
// alerting rules of evtctl gateways (files of this directory) and the
// tests that keep them true: every metric they use is served by a real
// gateway, and promtool accepts the rules.
package monitoring
