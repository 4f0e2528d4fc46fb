package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// setupAttempt bounds one JetStream management request during setup; the
// whole setup is bounded by the caller's context.
const setupAttempt = 10 * time.Second

// EnsureStream binds to the stream cfg.Name, creating it when missing and
// updating it only when a setting evtctl manages differs. Several nodes
// starting together must not fight over create-or-update (concurrent
// updates of one stream can stall until the request times out), and a
// cluster still electing its leader must be waited for, not given up on.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	var s jetstream.Stream
	err := retry(ctx, "stream "+cfg.Name, func(actx context.Context) error {
		var err error
		s, err = js.Stream(actx, cfg.Name)
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound):
			s, err = js.CreateStream(actx, cfg)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				return err // another node won the race: bind on the next attempt
			}
			return err
		case err != nil:
			return err
		}
		cur := s.CachedInfo().Config
		if streamDiffers(cur, cfg) {
			s, err = js.UpdateStream(actx, cfg)
		}
		return err
	})
	return s, err
}

func streamDiffers(cur, want jetstream.StreamConfig) bool {
	return cur.MaxAge != want.MaxAge || cur.MaxBytes != want.MaxBytes || cur.Duplicates != want.Duplicates ||
		cur.Replicas != want.Replicas || cur.MaxMsgs != want.MaxMsgs || len(cur.Subjects) != len(want.Subjects) ||
		!sameSources(cur.Sources, want.Sources)
}

// sameSources compares the sources evtctl sets (stream name and API prefix).
func sameSources(a, b []*jetstream.StreamSource) bool {
	key := func(s *jetstream.StreamSource) string {
		if s.External != nil {
			return s.Name + " " + s.External.APIPrefix
		}
		return s.Name
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if key(a[i]) != key(b[i]) {
			return false
		}
	}
	return true
}

// EnsureKeyValue binds to a KV bucket, creating it when missing (see
// EnsureStream for why it does not create-or-update).
func EnsureKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	var kv jetstream.KeyValue
	err := retry(ctx, "bucket "+cfg.Bucket, func(actx context.Context) error {
		var err error
		kv, err = js.KeyValue(actx, cfg.Bucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = js.CreateKeyValue(actx, cfg)
		}
		return err
	})
	return kv, err
}

// retry runs fn with a per-attempt timeout until it succeeds or ctx ends.
func retry(ctx context.Context, what string, fn func(context.Context) error) error {
	wait := 100 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, setupAttempt)
		err := fn(actx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("set up %s: %w", what, err)
		case <-time.After(wait):
		}
		if wait < 2*time.Second {
			wait *= 2
		}
	}
}
