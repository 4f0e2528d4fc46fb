// Package tail follows live event streams of the gateway (or any server
// speaking the same protocols) for `evtctl tail`: WebSocket sources
// (the composite stream, the endpoint stream, any ws:// URL) and SSE
// sources (the analysis streams, any http:// URL; docs/sources.md), several at once, merged into one sequence of Items.
//
// Every source reconnects on its own with exponential backoff and jitter
// and resumes where it stopped: SSE sources send Last-Event-ID (go-sse
// keeps it), the composite WebSocket reconnects with ?after=<last composite
// id>. The endpoint WebSocket has no resume position in its protocol, so
// events published while it is disconnected are not replayed (they are in
// the log: `evtctl events query`).
//
// Sources report what happens to the connection as Status values (connecting,
// connected, hello, keep-alive, disconnected, gap), so a terminal UI can show
// it and a pipe can log it to stderr.
package tail
