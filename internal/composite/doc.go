// Package composite turns sound events into composite events
// (docs/sources.md#composite-websocket) with the rules of
// docs/contract.md#rules.
//
// The package has three layers:
//
//   - Engine (engine.go, group.go, rule.go) is pure: it takes sound events
//     one at a time, in the order of the event log, and returns the
//     composites they complete. It never reads a clock and does no I/O, so
//     replaying the same events at any speed yields the same composites,
//     with the same ids (id.go). Windows, lateness and cooldowns are all in
//     event time (created_at).
//   - Payload (payload.go) renders an Emission as the composite
//     payload of docs/sources.md#composite-payload, embedding the sound
//     events exactly as ingested.
//   - Service (service.go, rebuild.go, api.go) is the server extension:
//     the rules resource on a KV collection, the /api/v1/rules routes, and a
//     follower of the event log that feeds the engine and appends the
//     composites back to the log, from where the streams deliver them.
//     In a cluster only the holder of the publisher lease (lease.go)
//     appends; the other nodes keep recent composites in standby.
//
// docs/composite.md states the semantics with examples.
package composite
