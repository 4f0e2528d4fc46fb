package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

// DefaultBatch is the most events sent in one ingest request.
const DefaultBatch = 500

// maxReported bounds how many bad lines one error lists.
const maxReported = 20

// Input is one recording. Open is called twice: once to check every line,
// once to send.
type Input struct {
	Name string
	Open func() (io.ReadCloser, error)
}

// Options configure a replay.
type Options struct {
	Inputs []Input
	// Family is the family of raw event lines (see NewReader).
	Family proto.Family
	Pacing Pacing
	// IncludeComposites sends recorded composites too. By default they are
	// skipped and counted: the gateway derives composites from the sound
	// events, so replaying those re-creates them.
	IncludeComposites bool
	// BatchSize caps events per request; 0 means DefaultBatch.
	BatchSize int
	Sender    Sender
	// Progress, when set, is called after each request with the totals so
	// far (on the goroutine that sends; keep it quick).
	Progress func(Stats)
	now      func() time.Time
}

// Stats count a replay.
type Stats struct {
	// Total is the number of events to send (skipped composites excluded).
	Total     int
	PerFamily map[proto.Family]int
	// SkippedComposites are recorded composites left out (IncludeComposites unset).
	SkippedComposites int
	// First and Last are the earliest and latest recorded times.
	First, Last time.Time
	Sent        int
	Accepted    int
	Duplicates  int
}

// Span is the recorded time between the first and the last event.
func (s Stats) Span() time.Duration {
	if s.First.IsZero() {
		return 0
	}
	return s.Last.Sub(s.First)
}

// Check reads every input and validates every line without sending
// anything: the dry run, and the first half of Run. Bad lines are reported
// together (up to 20), each with its file and line number.
func Check(opts Options) (Stats, error) {
	st := Stats{PerFamily: map[proto.Family]int{}}
	var bad []string
	nbad := 0
	for _, in := range opts.Inputs {
		err := each(in, opts.Family, func(r Record) error {
			if r.Family == proto.FamilyComposite && !opts.IncludeComposites {
				st.SkippedComposites++
				return nil
			}
			st.Total++
			st.PerFamily[r.Family]++
			if !r.At.IsZero() {
				if st.First.IsZero() || r.At.Before(st.First) {
					st.First = r.At
				}
				if r.At.After(st.Last) {
					st.Last = r.At
				}
			}
			return nil
		}, func(le *LineError) {
			nbad++
			if len(bad) < maxReported {
				bad = append(bad, le.Error())
			}
		})
		if err != nil {
			return st, err
		}
	}
	if nbad > 0 {
		head := fmt.Sprintf("%d bad line(s); nothing was sent:", nbad)
		if nbad > len(bad) {
			bad = append(bad, fmt.Sprintf("… and %d more", nbad-len(bad)))
		}
		return st, errors.New(head + "\n" + strings.Join(bad, "\n"))
	}
	return st, nil
}

// Run checks every line (see Check), then sends the events in file order,
// paced, in batches of one family. It stops at the first failed request;
// events of earlier requests stay ingested, and running it again is safe
// because ingest de-duplicates by event identity.
func Run(ctx context.Context, opts Options) (Stats, error) {
	st, err := Check(opts)
	if err != nil {
		return st, err
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	size := opts.BatchSize
	if size <= 0 {
		size = DefaultBatch
	}
	if opts.Pacing.Speed <= 0 {
		opts.Pacing.Speed = 1
	}
	pc := newPacer(opts.Pacing, opts.now)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	q := startQueue(ctx, cancel, &opts, &st)
	var batch []Record
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := q.put(batch)
		batch = nil // the queue owns it now
		return err
	}
	var changed error
	for _, in := range opts.Inputs {
		err = each(in, opts.Family, func(r Record) error {
			if changed != nil {
				return changed
			}
			if r.Family == proto.FamilyComposite && !opts.IncludeComposites {
				return nil
			}
			if d := pc.delay(r.At); d > 0 {
				// What is due now goes out before the wait.
				if err := flush(); err != nil {
					return err
				}
				if err := wait(ctx, d); err != nil {
					return err
				}
			}
			if len(batch) > 0 && (batch[0].Family != r.Family || len(batch) >= size) {
				if err := flush(); err != nil {
					return err
				}
			}
			batch = append(batch, r)
			return nil
		}, func(le *LineError) {
			// Check passed, so the file changed under us.
			changed = fmt.Errorf("%w (the file changed while replaying)", le)
		})
		if err == nil {
			err = changed
		}
		if err != nil {
			break
		}
	}
	if err == nil {
		err = flush()
	}
	// A failed send is the cause of whatever stopped the reading loop
	// after it (the cancelled wait, a refused hand-over).
	if serr := q.close(); serr != nil {
		return st, serr
	}
	return st, err
}

// each calls fn for every record of in, and bad for every bad line. An
// error of fn or of reading stops it.
func each(in Input, family proto.Family, fn func(Record) error, bad func(*LineError)) error {
	rc, err := in.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	rd := NewReader(rc, in.Name, family)
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		var le *LineError
		if errors.As(err, &le) {
			bad(le)
			if le.Line > rd.line { // a line too long: the scanner cannot go on
				return nil
			}
			continue
		}
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}
