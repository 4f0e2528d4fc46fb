package stream_test

import "github.com/nats-io/nats.go/jetstream"

func purgeKeep(n uint64) jetstream.StreamPurgeOpt { return jetstream.WithPurgeKeep(n) }
