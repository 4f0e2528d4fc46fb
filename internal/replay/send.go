package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/pkg/proto"
)

// Result is the gateway's answer to one ingest request.
type Result struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
}

// Sender delivers one batch of events of one family. Implementations are
// called from one goroutine.
type Sender interface {
	Send(ctx context.Context, family proto.Family, batch []Record) (Result, error)
}

// APISender posts batches to POST /api/v1/events/{family} as NDJSON.
type APISender struct {
	Client *apiclient.Client
	// Owner, when set, ingests for that tenant (?owner=, admin keys only).
	Owner string
	// Retries is how often a refused-for-now request (429, 503) is retried.
	// Ingest is idempotent, so a retry never stores an event twice.
	Retries int
}

// Send implements Sender. A rejected batch (400) is reported against the
// file and line of each bad record.
func (s *APISender) Send(ctx context.Context, family proto.Family, batch []Record) (Result, error) {
	var body bytes.Buffer
	for _, r := range batch {
		body.Write(r.Event)
		body.WriteByte('\n')
	}
	var q url.Values
	if s.Owner != "" {
		q = url.Values{"owner": {s.Owner}}
	}
	path := "/api/v1/events/" + string(family)
	for attempt := 0; ; attempt++ {
		var res Result
		err := s.Client.DoWithContentType(ctx, "POST", path, q, "application/x-ndjson", body.Bytes(), &res)
		if err == nil {
			return res, nil
		}
		var ae *apiclient.APIError
		if !errors.As(err, &ae) {
			return Result{}, err
		}
		if (ae.Status == 429 || ae.Status == 503) && attempt < s.Retries {
			if werr := wait(ctx, max(ae.RetryAfter, time.Duration(attempt+1)*500*time.Millisecond)); werr != nil {
				return Result{}, werr
			}
			continue
		}
		if ae.Status == 400 && len(ae.Details) > 0 {
			return Result{}, lineErrors(ae, batch)
		}
		return Result{}, err
	}
}

// lineErrors maps the gateway's per-record details (index in the batch)
// back to the lines they came from.
func lineErrors(ae *apiclient.APIError, batch []Record) error {
	msg := ae.Message
	for _, d := range ae.Details {
		if d.Index == nil || *d.Index < 0 || *d.Index >= len(batch) {
			continue
		}
		r := batch[*d.Index]
		msg += fmt.Sprintf("\n%s:%d: %s", r.File, r.Line, apiclient.Detail{Field: d.Field, Reason: d.Reason}.String())
	}
	return errors.New(msg)
}
