package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Publish configures the publisher: an open-loop sender of timestamped
// events, so that latency is measured from just before the POST to the
// moment a subscriber reads the event (publish request, storage, fan-out,
// and the subscriber's read).
type Publish struct {
	URL    string
	Token  string      // bearer token; empty: none
	Header http.Header // extra headers
	// Body is the request body template: {{ts}} becomes the Unix time in
	// ns taken just before sending, {{seq}} a counter from 1, {{run}} an id
	// unique to the run (keeps ids unique across runs, which matters to
	// de-duplicating servers) and {{now}} the RFC 3339 time.
	Body        string
	Rate        float64       // requests per second
	Concurrency int           // requests in flight at most
	Timeout     time.Duration // per request
}

func (p *Publish) validate() error {
	if p.URL == "" {
		return errors.New("the publish URL is empty")
	}
	if !strings.HasPrefix(p.URL, "http://") && !strings.HasPrefix(p.URL, "https://") {
		return fmt.Errorf("the publish URL %q must start with http:// or https://", p.URL)
	}
	if !strings.Contains(p.Body, "{{ts}}") {
		return errors.New("the publish body must contain {{ts}}, the send timestamp latency is measured from")
	}
	if p.Rate <= 0 {
		return errors.New("the publish rate must be above 0")
	}
	if p.Concurrency < 1 {
		p.Concurrency = 32
	}
	if p.Timeout <= 0 {
		p.Timeout = 10 * time.Second
	}
	return nil
}

// DefaultPublishBody returns a valid event of the family a publish URL
// ends with (…/events/analysis, …/events/composite), or a bare object.
func DefaultPublishBody(publishURL string) string {
	path := publishURL
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	switch {
	case strings.HasSuffix(path, "/events/analysis"):
		return `{"deviceId":"loadtest","analysisId":"lt-{{run}}-{{seq}}","sceneId":"loadtest","timestamp":"{{now}}","detections":[{"type":"person","confidence":0.9}],"ts_ns":{{ts}}}`
	case strings.HasSuffix(path, "/events/composite"):
		return `{"id":"lt-{{run}}-{{seq}}","group_key":"loadtest","rule":{"id":"loadtest"},"events":[],"mics":[],"labels":[],"started_at":"{{now}}","ts_ns":{{ts}}}`
	}
	return `{"ts_ns":{{ts}}}`
}

// PublishResult is what the publisher did.
type PublishResult struct {
	Attempted int64             `json:"attempted"`
	OK        int64             `json:"ok"`
	Skipped   int64             `json:"skipped"` // ticks that found every sender busy
	Errors    map[string]int64  `json:"errors"`  // by "http_<status>" or cause
	Samples   map[string]string `json:"samples,omitempty"`
	RTT       *Hist             `json:"-"`
	Start     time.Time         `json:"-"`
	End       time.Time         `json:"-"`
}

// runPublisher publishes for d at p.Rate. It is open loop: a tick that
// finds all senders busy is skipped and counted, so a slow server shows up
// as skipped publishes rather than as a silently lower rate.
func runPublisher(ctx context.Context, p Publish, d time.Duration) *PublishResult {
	res := &PublishResult{Errors: map[string]int64{}, Samples: map[string]string{}, RTT: NewHist()}
	client := &http.Client{Timeout: p.Timeout, Transport: &http.Transport{
		MaxIdleConns: p.Concurrency, MaxIdleConnsPerHost: p.Concurrency, IdleConnTimeout: time.Minute,
	}}
	defer client.CloseIdleConnections()
	hdr := p.Header.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	if hdr.Get("Content-Type") == "" {
		hdr.Set("Content-Type", "application/json")
	}
	if p.Token != "" && hdr.Get("Authorization") == "" {
		hdr.Set("Authorization", "Bearer "+p.Token)
	}
	var runID [4]byte
	_, _ = rand.Read(runID[:])
	run := hex.EncodeToString(runID[:])

	var mu sync.Mutex
	var attempted, ok, seq atomic.Int64
	fail := func(kind string, err error) {
		mu.Lock()
		res.Errors[kind]++
		if _, ok := res.Samples[kind]; !ok {
			res.Samples[kind] = err.Error()
		}
		mu.Unlock()
	}
	send := func() {
		attempted.Add(1)
		t0 := time.Now()
		body := strings.NewReplacer(
			"{{ts}}", strconv.FormatInt(t0.UnixNano(), 10),
			"{{seq}}", strconv.FormatInt(seq.Add(1), 10),
			"{{run}}", run,
			"{{now}}", t0.UTC().Format(time.RFC3339Nano),
		).Replace(p.Body)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, strings.NewReader(body))
		if err != nil {
			fail("request", err)
			return
		}
		req.Header = hdr.Clone()
		resp, err := client.Do(req)
		if err != nil {
			fail(cause(err), err)
			return
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		mu.Lock()
		res.RTT.Record(time.Since(t0))
		mu.Unlock()
		if resp.StatusCode/100 != 2 {
			fail("http_"+strconv.Itoa(resp.StatusCode), errors.New(string(bytes.TrimSpace(msg))))
			return
		}
		ok.Add(1)
	}

	jobs := make(chan struct{}, p.Concurrency)
	var wg sync.WaitGroup
	for range p.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				send()
			}
		}()
	}
	res.Start = time.Now()
	end := res.Start.Add(d)
	interval := time.Duration(float64(time.Second) / p.Rate)
	timer := time.NewTimer(0)
	defer timer.Stop()
loop:
	for i := 0; ; i++ {
		at := res.Start.Add(time.Duration(i) * interval)
		if !at.Before(end) {
			break
		}
		timer.Reset(time.Until(at))
		select {
		case <-ctx.Done():
			break loop
		case <-timer.C:
		}
		select {
		case jobs <- struct{}{}:
		default:
			res.Skipped++
		}
	}
	close(jobs)
	wg.Wait()
	res.End = time.Now()
	res.Attempted, res.OK = attempted.Load(), ok.Load()
	return res
}
