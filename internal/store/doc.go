// Package store is evtctl's only contact with NATS JetStream: it embeds or
// dials the NATS server (Backbone), keeps the durable event log (Log) and the
// management resources (Collection, a KV bucket watched into memory).
//
// Subjects carry the routing attributes of every event,
//
//	evt.<family>.<owner>.<device>.<agent>.<type>
//
// so that filtering by family, tenant, device, agent or event type is done
// by the server's subject matching rather than by decoding payloads.
package store
