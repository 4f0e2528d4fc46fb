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

	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

// soundTmpl is document 000's sound event (≈1.1 KB compact, with its
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
// client POSTs NDJSON batches of 1,000 document-000 sound events over
// loopback HTTP; each request returns only once JetStream stored the batch.
// Reported as events/s.
func BenchmarkIngestNDJSONBatch1000(b *testing.B) {
	h := servertest.Run(b, nil)
	tmpl := soundTemplate(b)
	const batch = 1000
	client := &http.Client{}
	body := func(prefix string) []byte {
		var buf bytes.Buffer
		buf.Grow(batch * (len(tmpl.before) + len(tmpl.after) + 16))
		for j := 0; j < batch; j++ {
			buf.Write(soundLine(tmpl, fmt.Sprintf("%s-%d", prefix, j)))
		}
		return buf.Bytes()
	}
	// A running gateway has its heap and its log's first blocks in place;
	// a fresh process spends its first few hundred batches mapping memory.
	for i := 0; i < warmupBatches; i++ {
		postNDJSON(b, client, h.URL, body(fmt.Sprintf("w%d", i)))
	}
	var size int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Every batch carries new ids, built outside the timer.
		b.StopTimer()
		data := body(fmt.Sprintf("b%d", i))
		size = int64(len(data))
		b.StartTimer()
		postNDJSON(b, client, h.URL, data)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
	b.SetBytes(size)
}

// warmupBatches are sent before a throughput benchmark's timer starts.
const warmupBatches = 200

// postNDJSON ingests one NDJSON body of sound events and requires a 202.
func postNDJSON(b testing.TB, client *http.Client, url string, body []byte) {
	req, _ := http.NewRequest("POST", url+"/api/v1/events/sound", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+servertest.AdminToken)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b.Fatalf("status %d", resp.StatusCode)
	}
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
	bodies := make([][]byte, b.N)
	for i := range bodies {
		var buf bytes.Buffer
		for j := 0; j < batch; j++ {
			buf.Write(soundLine(tmpl, fmt.Sprintf("c%d-%d", i, j)))
		}
		bodies[i] = buf.Bytes()
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inflight}}
	next := make(chan []byte)
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := 0; w < inflight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range next {
				req, _ := http.NewRequest("POST", h.URL+"/api/v1/events/sound", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+servertest.AdminToken)
				req.Header.Set("Content-Type", "application/x-ndjson")
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					b.Errorf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	for _, body := range bodies {
		next <- body
	}
	close(next)
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}
