package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/server/servertest"
	"github.com/evtctl/evtctl/pkg/proto"
)

const (
	sound1   = `{"id":"s1","created_at":"2026-03-26T09:00:00Z","label_id":"speech","mic_id":"mic_001","microphone":{"edge_id":"edge_001"}}`
	sound2   = `{"id":"s2","created_at":"2026-03-26T09:00:01Z","label_id":"speech","mic_id":"mic_001","microphone":{"edge_id":"edge_001"}}`
	analysis = `{"deviceId":"dev-1","analysisId":"a1","timestamp":"2026-01-29T10:00:00Z","detections":[]}`
	ident    = `{"type":"identification","camera":{"id":"cam-1"},"candidates":[],"event":{"id":"i1","detection_date":"2024-05-29 10:48:27.364000+00:00"}}`
	comp     = `{"id":"c1","group_key":"g","rule":{"id":"r"},"events":[],"mics":[],"labels":[],"started_at":"2026-03-26T08:59:45Z"}`
)

func input(name, text string) Input {
	return Input{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }}
}

func TestReaderFormats(t *testing.T) {
	text := strings.Join([]string{
		// tail --record
		`{"received_at":"2026-03-26T09:00:00.5Z","source":"endpoint:ep1","family":"sound","event":` + sound1 + `}`,
		``,
		// events query -o json
		`{"cursor":"42","family":"analysis","owner":"acme","received_at":"2026-03-26T09:00:02Z","event":` + analysis + `}`,
		// raw lines, family from --family... except an identification is not an envelope
		sound2,
	}, "\n")
	rd := NewReader(strings.NewReader(text), "rec.ndjson", proto.FamilySound)
	var got []string
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s %s %s", r.Line, r.Family, r.At.Format(time.RFC3339Nano), r.Event))
	}
	want := []string{
		"1 sound 2026-03-26T09:00:00.5Z " + sound1,
		"3 analysis 2026-03-26T09:00:02Z " + analysis,
		"4 sound 2026-03-26T09:00:01Z " + sound2, // raw: paced by the event's own time
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A raw identification has an "event" field but is not an envelope.
	r, err := NewReader(strings.NewReader(ident), "x", proto.FamilyIdentification).Next()
	if err != nil || string(r.Event) != ident {
		t.Fatalf("identification: %v %s", err, r.Event)
	}
}

func TestReaderBadLines(t *testing.T) {
	tests := []struct{ line, family, want string }{
		{`{"id":`, "sound", "rec:2: not valid JSON"},
		{`[1,2]`, "sound", "rec:2: not a JSON object"},
		{sound1, "", "rec:2: the family of this event is unknown: pass --family"},
		{`{"received_at":"2026-03-26T09:00:00Z","family":"bogus","event":{}}`, "", `rec:2: unknown event family "bogus"`},
		{`{"received_at":"yesterday","family":"sound","event":` + sound1 + `}`, "", "rec:2: received_at:"},
		{`{"family":"sound","event":[]}`, "", "rec:2: event: not a JSON object"},
		{`{"id":"s1","label_id":"x","mic_id":"m"}`, "sound", "rec:2: not a valid sound event: created_at: "},
	}
	for _, tt := range tests {
		rd := NewReader(strings.NewReader("\n"+tt.line+"\n"), "rec", proto.Family(tt.family))
		_, err := rd.Next()
		var le *LineError
		if !errors.As(err, &le) || le.Line != 2 || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.line, err, tt.want)
		}
	}
}

func TestCheckReportsEveryBadLineAndSendsNothing(t *testing.T) {
	s := &fakeSender{}
	_, err := Run(context.Background(), Options{
		Inputs: []Input{input("a.ndjson", sound1+"\nnope\n"+sound2+"\n{}\n")},
		Family: proto.FamilySound, Pacing: Pacing{Max: true}, Sender: s,
	})
	if err == nil || !strings.Contains(err.Error(), "2 bad line(s); nothing was sent") ||
		!strings.Contains(err.Error(), "a.ndjson:2: not valid JSON") || !strings.Contains(err.Error(), "a.ndjson:4: not a valid sound event") {
		t.Fatalf("err %v", err)
	}
	if len(s.batches) != 0 {
		t.Fatalf("sent %v", s.batches)
	}
}

type fakeSender struct {
	batches []string
	times   []time.Time
}

func (f *fakeSender) Send(_ context.Context, fam proto.Family, batch []Record) (Result, error) {
	var ids []string
	for _, r := range batch {
		ids = append(ids, fmt.Sprint(r.Line))
	}
	f.batches = append(f.batches, string(fam)+":"+strings.Join(ids, ","))
	f.times = append(f.times, time.Now())
	return Result{Accepted: len(batch)}, nil
}

func TestRunBatchesByFamilyInFileOrderAndSkipsComposites(t *testing.T) {
	s := &fakeSender{}
	var progress []int
	st, err := Run(context.Background(), Options{
		Inputs: []Input{
			input("s", sound1+"\n"+sound2+"\n"+sound1),
			input("r", `{"family":"composite","event":`+comp+`}`+"\n"+`{"family":"analysis","event":`+analysis+`}`+"\n"+`{"family":"identification","event":`+ident+`}`),
		},
		Family: proto.FamilySound, Pacing: Pacing{Max: true}, Sender: s, BatchSize: 2,
		Progress: func(st Stats) { progress = append(progress, st.Sent) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(progress) != "[2 3 4 5]" {
		t.Errorf("progress %v", progress)
	}
	if got := strings.Join(s.batches, " "); got != "sound:1,2 sound:3 analysis:2 identification:3" {
		t.Fatalf("batches %s", got)
	}
	if st.SkippedComposites != 1 || st.Total != 5 || st.Sent != 5 || st.Accepted != 5 {
		t.Fatalf("stats %+v", st)
	}
	st, err = Check(Options{Inputs: []Input{input("r", `{"family":"composite","event":`+comp+`}`)}, IncludeComposites: true})
	if err != nil || st.Total != 1 || st.SkippedComposites != 0 {
		t.Fatalf("include composites: %+v %v", st, err)
	}
}

func TestPacerKeepsRelativeTiming(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t0 := time.Date(2026, 3, 26, 9, 0, 0, 0, time.UTC)
	pc := newPacer(Pacing{Speed: 2}, func() time.Time { return now })
	for _, tc := range []struct {
		at   time.Time
		want time.Duration
	}{
		{t0, 0},
		{t0.Add(time.Second), 500 * time.Millisecond},
		{t0.Add(3 * time.Second), 1500 * time.Millisecond},
		{t0.Add(2 * time.Second), 1500 * time.Millisecond}, // backwards: keeps the offset
		{time.Time{}, 1500 * time.Millisecond},             // unknown: same
	} {
		if got := pc.delay(tc.at); got != tc.want {
			t.Errorf("delay(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
	now = now.Add(time.Second) // time passes: the wait shrinks
	if got := pc.delay(t0.Add(3 * time.Second)); got != 500*time.Millisecond {
		t.Errorf("after 1s: %v", got)
	}
	if got := newPacer(Pacing{Max: true}, time.Now).delay(t0.Add(time.Hour)); got != 0 {
		t.Errorf("max: %v", got)
	}
}

func TestRunPacesRealTime(t *testing.T) {
	lines := []string{
		`{"received_at":"2026-03-26T09:00:00Z","family":"sound","event":` + sound1 + `}`,
		`{"received_at":"2026-03-26T09:00:00.400Z","family":"sound","event":` + sound2 + `}`,
	}
	s := &fakeSender{}
	start := time.Now()
	if _, err := Run(context.Background(), Options{Inputs: []Input{input("f", strings.Join(lines, "\n"))}, Pacing: Pacing{Speed: 2}, Sender: s}); err != nil {
		t.Fatal(err)
	}
	if len(s.times) != 2 {
		t.Fatalf("batches %v", s.batches)
	}
	if gap := s.times[1].Sub(start); gap < 190*time.Millisecond || gap > 2*time.Second {
		t.Fatalf("second event sent after %v, want ~200ms (400ms at speed 2)", gap)
	}
	// --rate 20/s: 3 events take at least ~100 ms.
	s = &fakeSender{}
	start = time.Now()
	if _, err := Run(context.Background(), Options{Inputs: []Input{input("f", sound1+"\n"+sound2+"\n"+sound1)}, Family: proto.FamilySound, Pacing: Pacing{Rate: 20}, Sender: s}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Fatalf("rate 20/s sent 3 events in %v", d)
	}
}

func TestAPISenderAgainstGateway(t *testing.T) {
	h := servertest.Run(t, nil)
	c := apiclient.New(h.URL, h.NewKey("acme", proto.ScopeEventsWrite, proto.ScopeEventsRead))
	opts := Options{
		Inputs: []Input{input("f", sound1+"\n"+sound2)}, Family: proto.FamilySound,
		Pacing: Pacing{Max: true}, Sender: &APISender{Client: c},
	}
	st, err := Run(context.Background(), opts)
	if err != nil || st.Accepted != 2 || st.Duplicates != 0 {
		t.Fatalf("first run: %+v %v", st, err)
	}
	st, err = Run(context.Background(), opts)
	if err != nil || st.Accepted != 0 || st.Duplicates != 2 {
		t.Fatalf("second run: %+v %v", st, err)
	}
	r := h.Do("GET", "/api/v1/events?family=sound", servertest.AdminToken, "", nil)
	if !strings.Contains(string(r.Body), `"event":`+sound1) {
		t.Fatalf("stored %s", r.Body)
	}
}

func TestAPISenderMapsRejectionsToLines(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		if calls == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
			io.WriteString(w, `{"error":{"code":"unavailable","message":"Storage is busy."}}`)
			return
		}
		w.WriteHeader(400)
		io.WriteString(w, `{"error":{"code":"validation_failed","message":"1 record is invalid.","details":[{"index":1,"field":"mic_id","reason":"is required"}]}}`)
	}))
	defer srv.Close()
	s := &APISender{Client: apiclient.New(srv.URL, "t"), Retries: 2}
	_, err := s.Send(context.Background(), proto.FamilySound, []Record{{File: "a", Line: 3}, {File: "a", Line: 7}})
	if err == nil || !strings.Contains(err.Error(), "a:7: mic_id: is required") || calls != 2 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

// failingSender refuses its n-th request.
type failingSender struct {
	fakeSender
	failAt int
}

func (f *failingSender) Send(ctx context.Context, fam proto.Family, batch []Record) (Result, error) {
	if len(f.batches)+1 == f.failAt {
		f.batches = append(f.batches, "refused")
		return Result{}, errors.New("gateway refused the batch")
	}
	return f.fakeSender.Send(ctx, fam, batch)
}

// Sending overlaps reading, but a failed request still ends the replay
// with its error, sends nothing after it and counts only what was sent —
// also when the reading side is waiting for the next event's time.
func TestRunStopsAtTheFirstFailedRequest(t *testing.T) {
	lines := strings.Repeat(sound1+"\n", 10)
	for _, pacing := range []Pacing{{Max: true}, {Speed: 1}} {
		s := &failingSender{failAt: 2}
		start := time.Now()
		// At speed 1 the three-second gaps between the second and third
		// batch would keep a replay that missed the failure waiting.
		in := lines
		if !pacing.Max {
			in = sound1 + "\n" + sound1 + "\n" + strings.Replace(sound1, "09:00:00", "09:00:03", 1) + "\n" + strings.Replace(sound1, "09:00:00", "09:00:06", 1)
		}
		st, err := Run(context.Background(), Options{
			Inputs: []Input{input("s", in)}, Family: proto.FamilySound, Pacing: pacing, Sender: s, BatchSize: 1,
		})
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("%+v: error %v, want the refusal", pacing, err)
		}
		if len(s.batches) != 2 || st.Sent != 1 || st.Accepted != 1 {
			t.Errorf("%+v: batches %v, stats %+v: want one sent, then the refusal, then nothing", pacing, s.batches, st)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%+v: took %v after the failure", pacing, d)
		}
	}
}
