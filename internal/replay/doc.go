// Package replay re-ingests recorded events for `evtctl replay`: it reads
// NDJSON recordings (tail --record lines, events query -o json lines, or
// raw event lines of a known family), paces them by their recorded times
// (scaled by a speed, at a fixed rate, or as fast as possible) and sends
// them to the gateway's ingest API in NDJSON batches, one family per batch.
//
// Every line is checked before anything is sent: a line that is not JSON,
// has no family, or is not a valid event of its family stops the replay
// with its file and line number. Nothing is dropped silently: composites,
// which the gateway derives itself, are skipped only with a count reported.
package replay
