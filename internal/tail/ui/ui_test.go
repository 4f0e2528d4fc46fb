package ui

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/evtctl/evtctl/internal/tail"
	"github.com/evtctl/evtctl/pkg/proto"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata")

var t0 = time.Date(2026, 3, 26, 9, 0, 0, 0, time.UTC)

func newTestModel(buffer int) *Model {
	return newTestModelOf(buffer, "composites", "endpoint:ep1")
}

func newTestModelOf(buffer int, sources ...string) *Model {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return New(Options{
		Sources: sources, Buffer: buffer,
		Now: func() time.Time { return t0.Add(10 * time.Second) }, Location: time.UTC, Renderer: r,
	})
}

func seed(t testing.TB, name string) []byte {
	data, err := os.ReadFile("../../../testdata/seeds/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return proto.AppendCompact(nil, data)
}

// items builds n items cycling through the seed events of every family.
func items(t testing.TB, from, n int) []tail.Item {
	seeds := []struct {
		src, file string
		fam       proto.Family
	}{
		{"endpoint:ep1", "sound_event.json", proto.FamilySound},
		{"endpoint:ep1", "analysis_result.json", proto.FamilyAnalysis},
		{"endpoint:ep1", "identification_websocket.json", proto.FamilyIdentification},
		{"composites", "composite_event.json", proto.FamilyComposite},
	}
	var out []tail.Item
	for i := from; i < from+n; i++ {
		s := seeds[i%len(seeds)]
		ev := seed(t, s.file)
		r, _ := proto.Extract(s.fam, ev)
		out = append(out, tail.Item{Seq: uint64(i + 1), ReceivedAt: t0.Add(time.Duration(i) * 250 * time.Millisecond), Source: s.src, Family: s.fam, Event: ev, Routing: r, Cursor: fmt.Sprint(i + 1)})
	}
	return out
}

func statuses() []tail.Status {
	return []tail.Status{
		{Source: "composites", Kind: tail.Connecting, At: t0},
		{Source: "composites", Kind: tail.Connected, At: t0},
		{Source: "composites", Kind: tail.Hello, At: t0},
		{Source: "composites", Kind: tail.KeepAlive, At: t0.Add(7 * time.Second)},
		{Source: "endpoint:ep1", Kind: tail.Connecting, At: t0},
		{Source: "endpoint:ep1", Kind: tail.Connected, At: t0},
		{Source: "endpoint:ep1", Kind: tail.Disconnected, At: t0.Add(time.Second), Err: fmt.Errorf("closed by the server (close 1001)"), RetryIn: time.Second},
		{Source: "endpoint:ep1", Kind: tail.Connecting, At: t0.Add(2 * time.Second)},
	}
}

func keys(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return out
}

var (
	enter = tea.KeyMsg{Type: tea.KeyEnter}
	space = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	up    = tea.KeyMsg{Type: tea.KeyUp}
	esc   = tea.KeyMsg{Type: tea.KeyEsc}
)

func send(m *Model, msgs ...tea.Msg) {
	for _, msg := range msgs {
		m.Update(msg)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("screen %s differs from %s (go test -update rewrites it):\n%s", name, path, got)
	}
}

func TestScreens(t *testing.T) {
	tests := []struct {
		name    string
		size    tea.WindowSizeMsg
		msgs    func(t *testing.T) []tea.Msg
		sources []string
	}{
		// The classic terminal: every summary readable, the footer ends
		// with "q quit", SOURCE says the family only when the source's
		// name does not.
		{name: "80x24", size: tea.WindowSizeMsg{Width: 80, Height: 24}, msgs: func(t *testing.T) []tea.Msg {
			return []tea.Msg{Batch{Items: items(t, 0, 12), Statuses: statuses()}, Tick(t0.Add(11 * time.Second))}
		}},
		// One source: its status line names it, the list shows the family.
		{name: "80x24_composites", size: tea.WindowSizeMsg{Width: 80, Height: 24}, sources: []string{"composites"}, msgs: func(t *testing.T) []tea.Msg {
			var comps []tail.Item
			for _, it := range items(t, 0, 24) {
				if it.Family == proto.FamilyComposite {
					comps = append(comps, it)
				}
			}
			return []tea.Msg{Batch{Items: comps, Statuses: statuses()[:4]}}
		}},
		{name: "wide", size: tea.WindowSizeMsg{Width: 180, Height: 40}, msgs: func(t *testing.T) []tea.Msg {
			return []tea.Msg{Batch{Items: items(t, 0, 12), Statuses: statuses()}, Tick(t0.Add(11 * time.Second))}
		}},
		{name: "live", size: tea.WindowSizeMsg{Width: 110, Height: 32}, msgs: func(t *testing.T) []tea.Msg {
			return []tea.Msg{Batch{Items: items(t, 0, 6), Statuses: statuses()}, Tick(t0.Add(11 * time.Second))}
		}},
		{name: "scrolled_paused", size: tea.WindowSizeMsg{Width: 110, Height: 32}, msgs: func(t *testing.T) []tea.Msg {
			msgs := []tea.Msg{Batch{Items: items(t, 0, 6), Statuses: statuses()}, up, up, space}
			return append(msgs, Batch{Items: items(t, 6, 3)})
		}},
		{name: "filtered", size: tea.WindowSizeMsg{Width: 110, Height: 32}, msgs: func(t *testing.T) []tea.Msg {
			msgs := []tea.Msg{Batch{Items: items(t, 0, 12), Statuses: statuses()}}
			msgs = append(msgs, keys("f")...)
			msgs = append(msgs, keys("family:sound")...)
			return append(msgs, enter)
		}},
		{name: "filter_prompt", size: tea.WindowSizeMsg{Width: 110, Height: 32}, msgs: func(t *testing.T) []tea.Msg {
			msgs := []tea.Msg{Batch{Items: items(t, 0, 2)}}
			msgs = append(msgs, keys("f")...)
			return append(msgs, keys("device:mic")...)
		}},
		{name: "search", size: tea.WindowSizeMsg{Width: 110, Height: 32}, msgs: func(t *testing.T) []tea.Msg {
			msgs := []tea.Msg{Batch{Items: items(t, 0, 8), Statuses: statuses()}}
			msgs = append(msgs, keys("/")...)
			msgs = append(msgs, keys("person")...)
			return append(msgs, enter)
		}},
		{name: "help", size: tea.WindowSizeMsg{Width: 110, Height: 32}, msgs: func(t *testing.T) []tea.Msg {
			return append([]tea.Msg{Batch{Items: items(t, 0, 3)}}, keys("?")...)
		}},
		{name: "narrow", size: tea.WindowSizeMsg{Width: 60, Height: 18}, msgs: func(t *testing.T) []tea.Msg {
			return []tea.Msg{Batch{Items: items(t, 0, 30), Statuses: statuses()}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(0)
			if tt.sources != nil {
				m = newTestModelOf(0, tt.sources...)
			}
			send(m, tt.size)
			send(m, tt.msgs(t)...)
			screen := m.View()
			golden(t, tt.name, screen)
			lines := strings.Split(screen, "\n")
			if len(lines) > tt.size.Height {
				t.Errorf("%d lines on a %d-line terminal", len(lines), tt.size.Height)
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > tt.size.Width {
					t.Errorf("line %d is %d wide on a %d-column terminal: %q", i, w, tt.size.Width, l)
				}
			}
			if footer := lines[len(lines)-1]; !strings.Contains(footer, "q quit") && (tt.name != "help" || !strings.Contains(screen, "q quit")) {
				t.Errorf("the footer lost q quit: %q", lines[len(lines)-1])
			}
		})
	}
}

func TestBufferKeepsNewest(t *testing.T) {
	m := newTestModel(100)
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	for i := 0; i < 50; i++ {
		send(m, Batch{Items: items(t, i*200, 200)})
	}
	if len(m.buf.items) != 100 || len(m.buf.vis) != 100 || m.received != 10000 {
		t.Fatalf("kept %d, visible %d, received %d", len(m.buf.items), len(m.buf.vis), m.received)
	}
	if _, it := m.selected(); it == nil || it.Seq != 10000 {
		t.Fatalf("selected %+v, want the newest (follow)", it)
	}
	// A selection scrolled up stays on its event while older ones leave.
	send(m, up, up)
	_, before := m.selected()
	seq := before.Seq
	send(m, Batch{Items: items(t, 10000, 10)})
	if _, it := m.selected(); it == nil || it.Seq != seq {
		t.Fatalf("selection moved to %+v, want seq %d", it, seq)
	}
	// Jump to newest.
	send(m, keys("G")...)
	if _, it := m.selected(); it.Seq != 10010 {
		t.Fatalf("G selected %d", it.Seq)
	}
}

func TestPauseHoldsEventsUntilResume(t *testing.T) {
	m := newTestModel(0)
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30}, Batch{Items: items(t, 0, 3)}, space, Batch{Items: items(t, 3, 4)})
	if len(m.buf.items) != 3 || len(m.held) != 4 || !strings.Contains(m.View(), "PAUSED (+4 new)") {
		t.Fatalf("paused: list %d, held %d", len(m.buf.items), len(m.held))
	}
	send(m, space)
	if len(m.buf.items) != 7 || len(m.held) != 0 {
		t.Fatalf("resumed: list %d, held %d", len(m.buf.items), len(m.held))
	}
}

func TestSaveSelectedEvent(t *testing.T) {
	m := newTestModel(0)
	m.opts.SaveDir = t.TempDir()
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30}, Batch{Items: items(t, 0, 4)}, up, up)
	send(m, keys("s")...)
	if m.input.Value() != "evtctl-analysis-2.json" {
		t.Fatalf("default name %q", m.input.Value())
	}
	send(m, enter)
	data, err := os.ReadFile(filepath.Join(m.opts.SaveDir, "evtctl-analysis-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "{\n  \"deviceId\": \"device-uuid\",") || !strings.Contains(m.View(), "Saved ") {
		t.Fatalf("saved %s", data)
	}
}

func TestFilterErrorsAndEsc(t *testing.T) {
	m := newTestModel(0)
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30}, Batch{Items: items(t, 0, 4)})
	send(m, keys("f")...)
	send(m, keys("colour:red")...)
	send(m, enter)
	if !strings.Contains(m.View(), `unknown filter field "colour"`) || len(m.buf.vis) != 4 {
		t.Fatal("a bad filter was not reported or applied anyway")
	}
	send(m, keys("f")...)
	send(m, keys("-family:sound")...)
	send(m, enter)
	if len(m.buf.vis) != 3 {
		t.Fatalf("negated filter shows %d", len(m.buf.vis))
	}
	send(m, keys("f")...)
	send(m, keys(" x")...)
	send(m, esc)
	if m.filter.text != "-family:sound" {
		t.Fatalf("esc changed the filter to %q", m.filter.text)
	}
}

type collect struct {
	mu      sync.Mutex
	batches []Batch
	block   chan struct{}
}

func (c *collect) Send(msg tea.Msg) {
	if c.block != nil {
		<-c.block
	}
	c.mu.Lock()
	c.batches = append(c.batches, msg.(Batch))
	c.mu.Unlock()
}

func TestFeedBatchesAndDropsOldestWhenBehind(t *testing.T) {
	c := &collect{block: make(chan struct{})}
	in, st := make(chan tail.Item), make(chan tail.Status)
	done := make(chan struct{})
	go func() { Feed(context.Background(), c, in, st, 10*time.Millisecond, 100); close(done) }()
	// The screen is stuck while 1,000 events and a status arrive.
	for i, it := range items(t, 0, 1000) {
		in <- it
		if i == 500 {
			st <- tail.Status{Source: "composites", Kind: tail.Hello}
		}
	}
	close(in)
	close(st)
	close(c.block) // unblock every Send
	<-done
	total, dropped, statuses := 0, 0, 0
	var last uint64
	for _, b := range c.batches {
		total += len(b.Items)
		dropped += b.Dropped
		statuses += len(b.Statuses)
		for _, it := range b.Items {
			if it.Seq <= last {
				t.Fatalf("out of order: %d after %d", it.Seq, last)
			}
			last = it.Seq
		}
	}
	if total+dropped != 1000 || last != 1000 || statuses != 1 || total > 300 {
		t.Fatalf("delivered %d, dropped %d, last %d, statuses %d", total, dropped, last, statuses)
	}
}

// BenchmarkBatch measures one 500-event batch (a 50 ms batch at 10,000
// events/s) plus the redraw that follows it.
func BenchmarkBatch(b *testing.B) {
	m := newTestModel(DefaultBuffer)
	send(m, tea.WindowSizeMsg{Width: 160, Height: 50})
	batch := items(b, 0, 500)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range batch {
			batch[j].Seq += 500
		}
		m.Update(Batch{Items: batch})
		_ = m.View()
	}
}
