// Package loadtest is the engine of `evtctl loadtest`: it opens many
// WebSocket or SSE connections to a gateway (spread over source addresses
// and, when one process cannot hold them all, over worker processes),
// optionally publishes events carrying a send timestamp, and measures
// connection outcomes, time to first message and end-to-end delivery
// latency in HDR histograms.
//
// A run has three parts that talk through small types:
//
//   - a fleet holds connections: localFleet in this process, procFleet
//     in worker processes that each run a localFleet (worker.go);
//   - the controller (Run) ramps, samples the server's memory, publishes,
//     drains and stops the fleet;
//   - Result is what a fleet measured (counters and histograms; workers
//     send theirs as JSON and the parent merges them), Report is what the
//     user reads, and assertions are evaluated on the Report's metrics.
package loadtest
