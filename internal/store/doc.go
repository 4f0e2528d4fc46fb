// Package store owns evtctl's connection to NATS JetStream: it embeds or
// dials the NATS server (Backbone), keeps the durable event log (Log) and the
// management resources (Collection, a KV bucket watched into memory).
//
// It is not the only package that speaks JetStream: components use the
// Backbone's JetStream handle for state of their own — webhook (its
// delivery streams and durable consumers), auth and endpoint (KV buckets
// through Collection), stream (per-owner quota buckets) and composite (the
// publisher lease bucket).
//
// Subjects carry the routing attributes of every event,
//
//	evt.<family>.<owner>.<device>.<agent>.<type>
//
// so that filtering by family, tenant, device, agent or event type is done
// by the server's subject matching rather than by decoding payloads.
package store
