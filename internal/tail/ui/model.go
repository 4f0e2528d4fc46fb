// Package ui is the full-screen terminal view of `evtctl tail`, a
// bubbletea model: a live list of events, a detail pane with the selected
// event's JSON, each source's connection state, the event rate, and keys
// to pause, filter, search, jump to the newest event and save one.
//
// Events arrive in Batch messages (see Feed), a few per second at most
// however fast they come, and the model keeps only the newest N, so 10,000
// events a second cost one list update per batch and a render of the rows
// on screen.
package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/evtctl/evtctl/internal/tail"
)

// DefaultBuffer is how many events the UI keeps when Options.Buffer is 0.
const DefaultBuffer = 10000

// Options configure the model.
type Options struct {
	// Sources are the source names, in the order their status lines show.
	Sources []string
	// Buffer is how many of the newest events are kept.
	Buffer int
	// Now and Location make times deterministic in tests.
	Now      func() time.Time
	Location *time.Location
	// SaveDir is where "save" writes files by default.
	SaveDir string
	// Renderer styles the screen (colour profile); nil means lipgloss's default.
	Renderer *lipgloss.Renderer
}

// Batch carries what the sources produced since the last batch.
type Batch struct {
	Items    []tail.Item
	Statuses []tail.Status
	// Dropped counts items the feed discarded because the screen fell
	// behind (they were still recorded and counted).
	Dropped int
}

// Done tells the model the sources stopped; Err is why (nil: cancelled).
type Done struct{ Err error }

// Tick refreshes the rate and the "ago" times; the model schedules it
// every second.
type Tick time.Time

type mode int

const (
	modeList mode = iota
	modeFilter
	modeSearch
	modeSave
)

// sourceState is what the status line of one source shows.
type sourceState struct {
	last       tail.Status // last status other than a keep-alive
	hello      time.Time
	keepAlive  time.Time
	reconnects int
	events     int
	lastErr    error // why the last connection ended, until the next one is up
}

// Model is the tail UI.
type Model struct {
	opts   Options
	keys   keyMap
	styles styles
	width  int
	height int

	buf      buffer
	sel      int // index into buf.vis
	top      int // first row on screen
	follow   bool
	focus    bool // detail pane has the keys
	paused   bool
	held     []tail.Item
	filter   filter
	search   string
	received int
	dropped  int

	sources map[string]*sourceState
	order   []string
	seen    seenWidths

	rate      float64
	rateAt    time.Time
	rateCount int

	mode   mode
	input  textinput.Model
	help   help.Model
	detail viewport.Model
	// detailPos is the position shown in the detail pane (^0: none).
	detailPos uint64
	flash     string
	err       error
}

// New returns the model.
func New(opts Options) *Model {
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.SaveDir == "" {
		opts.SaveDir = "."
	}
	if opts.Renderer == nil {
		opts.Renderer = lipgloss.DefaultRenderer()
	}
	m := &Model{
		opts:      opts,
		keys:      defaultKeys(),
		styles:    newStyles(opts.Renderer),
		buf:       buffer{max: opts.Buffer},
		follow:    true,
		sources:   map[string]*sourceState{},
		input:     textinput.New(),
		help:      help.New(),
		detail:    viewport.New(0, 0),
		detailPos: ^uint64(0),
		rateAt:    opts.Now(),
	}
	m.help.Styles.ShortKey = m.styles.key
	m.help.Styles.FullKey = m.styles.key
	m.help.Styles.ShortDesc = m.styles.dim
	m.help.Styles.FullDesc = m.styles.dim
	m.help.Styles.ShortSeparator = m.styles.dim
	m.help.Styles.FullSeparator = m.styles.dim
	m.input.Prompt = ""
	for _, s := range opts.Sources {
		m.source(s)
	}
	return m
}

// Err is why the sources stopped (after Done), for the command's exit code.
func (m *Model) Err() error { return m.err }

func (m *Model) source(name string) *sourceState {
	s, ok := m.sources[name]
	if !ok {
		s = &sourceState{last: tail.Status{Source: name, Kind: tail.Connecting}}
		m.sources[name] = s
		m.order = append(m.order, name)
	}
	return s
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return tick() }

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return Tick(t) })
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		m.layout()
		return m, nil
	case Batch:
		m.apply(msg)
		return m, nil
	case Tick:
		m.updateRate(time.Time(msg))
		return m, tick()
	case Done:
		m.err = msg.Err
		return m, tea.Quit
	case tea.KeyMsg:
		if m.mode != modeList {
			return m, m.promptKey(msg)
		}
		return m, m.listKey(msg)
	}
	return m, nil
}

// apply takes in a batch: statuses always, items into the list unless
// paused (then they wait, bounded like the list).
func (m *Model) apply(b Batch) {
	for _, st := range b.Statuses {
		s := m.source(st.Source)
		switch st.Kind {
		case tail.KeepAlive:
			s.keepAlive = st.At
			continue
		case tail.Hello:
			s.hello = st.At
		case tail.Connected:
			s.lastErr = nil
		case tail.Disconnected:
			s.reconnects++
			s.lastErr = st.Err
		case tail.Gap:
			m.flash = st.String()
			continue
		}
		s.last = st
	}
	for i := range b.Items {
		m.source(b.Items[i].Source).events++
	}
	m.see(b.Items)
	m.received += len(b.Items)
	m.rateCount += len(b.Items)
	m.dropped += b.Dropped
	if m.paused {
		m.held = append(m.held, b.Items...)
		if over := len(m.held) - m.opts.Buffer; over > 0 {
			m.held = m.held[over:]
		}
		return
	}
	m.addItems(b.Items)
}

func (m *Model) addItems(items []tail.Item) {
	dropped := m.buf.add(items, m.filter)
	m.sel = max(m.sel-dropped, 0)
	m.top = max(m.top-dropped, 0)
	m.clamp()
}

func (m *Model) updateRate(now time.Time) {
	if d := now.Sub(m.rateAt); d > 0 {
		m.rate = float64(m.rateCount) / d.Seconds()
	}
	m.rateAt, m.rateCount = now, 0
}

// clamp keeps the selection valid and on screen; in follow mode it is
// the newest event.
func (m *Model) clamp() {
	n := len(m.buf.vis)
	if m.follow || m.sel >= n {
		m.sel = n - 1
	}
	m.sel = max(m.sel, 0)
	h := m.listHeight()
	if m.sel < m.top {
		m.top = m.sel
	}
	if h > 0 && m.sel >= m.top+h {
		m.top = m.sel - h + 1
	}
	m.top = max(min(m.top, n-h), 0)
	m.syncDetail()
}

// selected returns the selected item's position and the item (nil if none).
func (m *Model) selected() (uint64, *tail.Item) {
	if m.sel < 0 || m.sel >= len(m.buf.vis) {
		return ^uint64(0), nil
	}
	pos := m.buf.vis[m.sel]
	return pos, m.buf.get(pos)
}

// syncDetail puts the selected event in the detail pane when it changed.
func (m *Model) syncDetail() {
	pos, it := m.selected()
	if pos == m.detailPos {
		return
	}
	m.detailPos = pos
	if it == nil {
		m.detail.SetContent("")
		return
	}
	m.detail.SetContent(m.detailText(it))
	m.detail.GotoTop()
}

func (m *Model) listKey(msg tea.KeyMsg) tea.Cmd {
	k := m.keys
	m.flash = ""
	if m.focus {
		switch {
		case key.Matches(msg, k.Up):
			m.detail.ScrollUp(1)
			return nil
		case key.Matches(msg, k.Down):
			m.detail.ScrollDown(1)
			return nil
		case key.Matches(msg, k.PageUp):
			m.detail.PageUp()
			return nil
		case key.Matches(msg, k.PageDown):
			m.detail.PageDown()
			return nil
		}
	}
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.layout()
	case key.Matches(msg, k.Focus):
		m.focus = !m.focus
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.PageUp):
		m.move(-max(m.listHeight()-1, 1))
	case key.Matches(msg, k.PageDown):
		m.move(max(m.listHeight()-1, 1))
	case key.Matches(msg, k.Top):
		m.follow = false
		m.sel = 0
		m.clamp()
	case key.Matches(msg, k.Newest):
		m.follow = true
		m.clamp()
	case key.Matches(msg, k.Pause):
		m.paused = !m.paused
		if !m.paused {
			held := m.held
			m.held = nil
			m.addItems(held)
		}
	case key.Matches(msg, k.Filter):
		return m.prompt(modeFilter, m.filter.text)
	case key.Matches(msg, k.Search):
		return m.prompt(modeSearch, m.search)
	case key.Matches(msg, k.Next):
		m.find(-1, false)
	case key.Matches(msg, k.Prev):
		m.find(1, false)
	case key.Matches(msg, k.Save):
		if pos, it := m.selected(); it != nil {
			return m.prompt(modeSave, fmt.Sprintf("evtctl-%s-%d.json", familyName(it), pos+1))
		}
		m.flash = "Nothing to save: no event is selected."
	}
	return nil
}

// move moves the selection by d rows; moving stops following, reaching
// the newest row resumes it.
func (m *Model) move(d int) {
	n := len(m.buf.vis)
	if n == 0 {
		return
	}
	m.sel = min(max(m.sel+d, 0), n-1)
	m.follow = m.sel == n-1
	m.clamp()
}

func (m *Model) prompt(md mode, value string) tea.Cmd {
	m.mode = md
	m.input.SetValue(value)
	m.input.CursorEnd()
	return m.input.Focus()
}

func (m *Model) promptKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		m.mode = modeList
		m.input.Blur()
		return nil
	case tea.KeyCtrlC:
		return tea.Quit
	case tea.KeyEnter:
		md, v := m.mode, m.input.Value()
		m.mode = modeList
		m.input.Blur()
		switch md {
		case modeFilter:
			f, err := parseFilter(v)
			if err != nil {
				m.flash = err.Error()
				return nil
			}
			m.filter = f
			m.buf.refilter(f)
			m.follow = true
			m.clamp()
		case modeSearch:
			m.search = v
			m.find(-1, true) // upwards: the newest events are at the bottom
		case modeSave:
			m.save(v)
		}
		return nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return cmd
}

// find selects the next newer (dir 1) or older (dir -1) event matching
// the search text, wrapping around; from includes the selection itself.
func (m *Model) find(dir int, from bool) {
	if m.search == "" {
		m.flash = "No search yet: press / to search."
		return
	}
	f, _ := parseFilter(m.search)
	if f.empty() {
		return
	}
	n := len(m.buf.vis)
	start := 1
	if from {
		start = 0
	}
	for i := start; i < n+start; i++ {
		j := ((m.sel+dir*i)%n + n) % n
		if it := m.buf.get(m.buf.vis[j]); it != nil && f.match(it) {
			m.sel = j
			m.follow = false
			m.clamp()
			return
		}
	}
	m.flash = fmt.Sprintf("No event matches %q.", m.search)
}

// save writes the selected event, pretty-printed, to name (relative to
// SaveDir).
func (m *Model) save(name string) {
	_, it := m.selected()
	if it == nil || name == "" {
		return
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(m.opts.SaveDir, name)
	}
	data := pretty(it.Event)
	if err := os.WriteFile(name, append(data, '\n'), 0o644); err != nil {
		m.flash = "Cannot save: " + err.Error()
		return
	}
	m.flash = fmt.Sprintf("Saved %d bytes to %s.", len(data)+1, name)
}

func pretty(ev json.RawMessage) []byte {
	var out []byte
	if buf, err := indent(ev); err == nil {
		out = buf
	} else {
		out = append(out, ev...)
	}
	return out
}
