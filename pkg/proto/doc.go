// Package proto holds evtctl's wire types: the event families of the three source products
// (sound and composite events, analysis results, face identifications: docs/sources.md), the management resources of the HTTP API and its error body.
//
// It is the one public package of the module, so clients and other programs can speak to
// an evtctl server without importing its internals.
//
// Two ways to read an event exist on purpose:
//
//   - [Extract] is the ingest hot path. It validates one event of a family and returns only
//     its routing attributes ([Routing]), without building typed structs, because the
//     gateway forwards payloads as ingested and never needs the rest of the fields.
//   - The typed decoders ([DecodeSound], [DecodeAnalysis], [DecodeIdentification],
//     [DecodeComposite]) build structs faithful to the sources for clients and the
//     composite engine. Every object type keeps fields it does not know in an Extra map and
//     writes them back when marshalled, so decoding and re-encoding does not lose data.
//
// Times travel as the strings they were written as; [ParseTime] reads both RFC 3339 and the
// "2024-05-29 10:48:27.364000+00:00" form (docs/contract.md#times).
package proto
