package ingest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/serve"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

// soundTmpl is the seed sound event (testdata/seeds/sound_event.json, ≈1.1 KB compact, with its
// embedded label and microphone) as one NDJSON line split around its id, so
// that benchmarks build lines by concatenation: marshalling a map per line
// made garbage that the timed part then paid for in GC.
type soundTmpl struct{ before, after []byte }

func soundTemplate(b testing.TB) soundTmpl {
	data, err := os.ReadFile("../../testdata/seeds/sound_event.json")
	if err != nil {
		b.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		b.Fatal(err)
	}
	m["id"] = "\x00"
	line, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	before, after, ok := bytes.Cut(line, []byte(`"\u0000"`))
	if !ok {
		b.Fatalf("placeholder not found in %s", line)
	}
	return soundTmpl{before: before, after: after}
}

// soundLine returns the template as one NDJSON line with id.
func soundLine(t soundTmpl, id string) []byte {
	line := make([]byte, 0, len(t.before)+len(id)+len(t.after)+3)
	line = append(line, t.before...)
	line = strconv.AppendQuote(line, id)
	line = append(line, t.after...)
	return append(line, '\n')
}

// BenchmarkIngestNDJSONBatch1000 measures durable ingest throughput: one
// client POSTs NDJSON batches of 1,000 seed sound events over
// loopback HTTP; each request returns only once JetStream stored the batch.
// Reported as events/s.
func BenchmarkIngestNDJSONBatch1000(b *testing.B) {
	benchBatches(b, servertest.Run(b, nil))
}

// BenchmarkIngestNDJSONBatch1000Gateway is the same with everything
// `evtctl serve` runs besides ingest: the live hub, the composite engine
// and the webhook dispatcher each follow the log (no client, rule or
// endpoint exists, so only following costs).
func BenchmarkIngestNDJSONBatch1000Gateway(b *testing.B) {
	benchBatches(b, servertest.Run(b, serve.Components))
}

func benchBatches(b *testing.B, h *servertest.Harness) {
	tmpl := soundTemplate(b)
	const batch = 1000
	client := &http.Client{}
	warmUp(b, client, h.URL, tmpl)
	var size int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Every batch carries new ids, built outside the timer.
		b.StopTimer()
		body := ndjsonBatch(tmpl, fmt.Sprintf("b%d", i), batch)
		size = int64(len(body))
		b.StartTimer()
		if err := postNDJSON(client, h.URL, body); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
	b.SetBytes(size)
}

// BenchmarkIngestNDJSONBatch1000Devices is the batch benchmark with the
// events of four microphones, changing microphone every run events: the
// log stores each run of one microphone (and label) as one message, so
// this shows what bundling gives when a batch interleaves devices.
func BenchmarkIngestNDJSONBatch1000Devices(b *testing.B) {
	for _, run := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("run=%d", run), func(b *testing.B) {
			h := servertest.Run(b, nil)
			tmpl := soundTemplate(b)
			const batch = 1000
			client := &http.Client{}
			warmUp(b, client, h.URL, tmpl)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				var buf bytes.Buffer
				for j := 0; j < batch; j++ {
					line := soundLine(tmpl, fmt.Sprintf("d%d-%d", i, j))
					mic := fmt.Sprintf(`"mic_%03d"`, 1+(j/run)%4)
					buf.Write(bytes.ReplaceAll(line, []byte(`"mic_001"`), []byte(mic)))
				}
				b.StartTimer()
				if err := postNDJSON(client, h.URL, buf.Bytes()); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// ndjsonBatch returns n sound events with ids prefix-0… as one NDJSON body.
func ndjsonBatch(tmpl soundTmpl, prefix string, n int) []byte {
	var buf bytes.Buffer
	buf.Grow(n * (len(tmpl.before) + len(tmpl.after) + len(prefix) + 10))
	for j := 0; j < n; j++ {
		buf.Write(soundLine(tmpl, fmt.Sprintf("%s-%d", prefix, j)))
	}
	return buf.Bytes()
}

// warmUp sends 200 batches before a throughput benchmark's timer starts:
// a running gateway has its heap and its log's first blocks in place,
// while a fresh process spends its first batches mapping memory.
func warmUp(b *testing.B, client *http.Client, url string, tmpl soundTmpl) {
	for i := 0; i < 200; i++ {
		if err := postNDJSON(client, url, ndjsonBatch(tmpl, fmt.Sprintf("w%d", i), 1000)); err != nil {
			b.Fatal(err)
		}
	}
}

// postNDJSON ingests one NDJSON body of sound events and requires a 202.
func postNDJSON(client *http.Client, url string, body []byte) error {
	req, _ := http.NewRequest("POST", url+"/api/v1/events/sound", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+servertest.AdminToken)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// BenchmarkIngestSingleAt1000PerSecond sends single-event POSTs at a fixed
// 1,000/s (open loop, 8 concurrent clients) and reports latency
// percentiles. b.N is the number of events.
func BenchmarkIngestSingleAt1000PerSecond(b *testing.B) {
	h := servertest.Run(b, nil)
	tmpl := soundTemplate(b)
	w := h.NewKey("bench", proto.ScopeEventsWrite)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = soundLine(tmpl, fmt.Sprintf("s%d", i))
	}
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest("POST", h.URL+"/api/v1/events/sound", bytes.NewReader(bodies[i]))
			req.Header.Set("Authorization", "Bearer "+w)
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Now()
			resp, err := client.Do(req)
			lat[i] = time.Since(t0)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Errorf("status %d", resp.StatusCode)
			}
		}(i)
	}
	wg.Wait()
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max_ms")
}

// BenchmarkIngestNDJSONBatch1000Concurrent is the same load from one client
// keeping 4 batch requests in flight (4 HTTP/1.1 connections), as a
// producer with a backlog would: the server then overlaps parsing one
// batch with storing another.
func BenchmarkIngestNDJSONBatch1000Concurrent(b *testing.B) {
	h := servertest.Run(b, nil)
	tmpl := soundTemplate(b)
	const batch, inflight = 1000, 4
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inflight}}
	warmUp(b, client, h.URL, tmpl)
	// Bodies are built by a feeder while the workers send (about 0.1 ms of
	// CPU a batch); building all of them first held gigabytes in memory.
	next := make(chan []byte, inflight)
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := 0; w < inflight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range next {
				if err := postNDJSON(client, h.URL, body); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		next <- ndjsonBatch(tmpl, fmt.Sprintf("c%d", i), batch)
	}
	close(next)
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}
