package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/evtctl/evtctl/pkg/proto"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/evtctl/evtctl/internal/tail"
)

type styles struct {
	title, header, selected, dim, key, warn, ok lipgloss.Style
}

func newStyles(r *lipgloss.Renderer) styles {
	return styles{
		title:    r.NewStyle().Bold(true),
		header:   r.NewStyle().Bold(true).Underline(true),
		selected: r.NewStyle().Reverse(true),
		dim:      r.NewStyle().Faint(true),
		key:      r.NewStyle().Bold(true),
		warn:     r.NewStyle().Foreground(lipgloss.Color("3")),
		ok:       r.NewStyle().Foreground(lipgloss.Color("2")),
	}
}

// Column limits of the list. Widths follow the content seen so far (never
// more than these caps) and the terminal: the summary keeps at least
// minSummary cells; to make room, TYPE goes first (it repeats the family or
// the sound label), then DEVICE and SOURCE shrink and the time loses its
// milliseconds, then DEVICE and SOURCE go.
const (
	colTimeMs  = 12 // 15:04:05.000
	colTimeS   = 8  // 15:04:05
	maxFrom    = 28
	maxDevice  = 16
	maxType    = 20
	minSummary = 32
)

// cols is the list's layout for one width: 0 means the column is not shown.
type cols struct {
	time, from, device, typ, summary int
}

// columns fits the columns to the terminal width.
func (m *Model) columns() cols {
	avail := m.width - 2 // the selection marker
	c := cols{time: colTimeMs, from: min(max(m.seen.from, 6), maxFrom), device: min(m.seen.device, maxDevice), typ: min(m.seen.typ, maxType)}
	if m.seen.device > 0 {
		c.device = max(c.device, 6) // room for the header
	}
	if m.seen.typ > 0 {
		c.typ = max(c.typ, 4)
	}
	used := func() int {
		n := 0
		for _, w := range []int{c.time, c.from, c.device, c.typ} {
			if w > 0 {
				n += w + 1
			}
		}
		return n
	}
	need := min(minSummary, max(avail*2/5, 10))
	steps := []func(){
		func() { c.typ = 0 },
		func() { c.time = colTimeS },
		func() { c.device = min(c.device, 10) },
		func() { c.from = min(c.from, 22) },
		func() { c.from = min(c.from, 16) },
		func() { c.device = 0 },
		func() { c.from = min(c.from, 10) },
		func() { c.from = 0 },
	}
	for _, step := range steps {
		if avail-used() >= need {
			break
		}
		step()
	}
	c.summary = max(avail-used(), 1)
	return c
}

// seenWidths are the widest cells seen so far, so columns do not jump as
// the list scrolls.
type seenWidths struct{ from, device, typ int }

func (m *Model) see(items []tail.Item) {
	for i := range items {
		it := &items[i]
		m.seen.from = max(m.seen.from, ansi.StringWidth(m.fromCell(it)))
		m.seen.device = max(m.seen.device, ansi.StringWidth(it.Routing.DeviceID))
		m.seen.typ = max(m.seen.typ, ansi.StringWidth(typeCell(it)))
	}
}

// fromHeader names the column that says where an event came from: its
// family when there is one source (the status line names the source),
// else the source.
func (m *Model) fromHeader() string {
	if len(m.order) > 1 {
		return "SOURCE"
	}
	return "FAMILY"
}

// fromCell is the family with one source; with several, the source, and
// the family after it unless the source's name already says it
// ("composites", "analysis:cam-7").
func (m *Model) fromCell(it *tail.Item) string {
	fam := familyName(it)
	if len(m.order) <= 1 {
		return fam
	}
	if it.Family != "" && strings.HasPrefix(it.Source, fam) {
		return it.Source
	}
	return it.Source + " " + fam
}

// fixedLines counts the lines that are not list rows or detail lines:
// title, one per source, list header, detail rule, prompt line, help.
func (m *Model) fixedLines() int {
	helpLines := 1
	if m.help.ShowAll {
		helpLines = lipgloss.Height(m.help.View(m.keys))
	}
	return 1 + len(m.order) + 1 + 1 + 1 + helpLines
}

// listHeight is the number of list rows: 55 % of what the fixed lines
// leave, the detail pane gets the rest.
func (m *Model) listHeight() int {
	rest := m.height - m.fixedLines()
	if rest < 2 {
		return max(rest, 1)
	}
	return max(rest*55/100, 1)
}

func (m *Model) layout() {
	rest := m.height - m.fixedLines()
	m.detail.Width = m.width
	m.detail.Height = max(rest-m.listHeight(), 0)
	m.detailPos = ^uint64(0) // re-render for the new width
	m.clamp()
}

// View implements tea.Model.
func (m *Model) View() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	var b strings.Builder
	line := func(s string) {
		b.WriteString(ansi.Truncate(s, m.width, "…"))
		b.WriteByte('\n')
	}
	line(m.titleLine())
	for _, name := range m.order {
		line(m.sourceLine(name, m.sources[name]))
	}
	c := m.columns()
	line(m.styles.header.Render(pad("  "+c.row("TIME", m.fromHeader(), "DEVICE", "TYPE", "SUMMARY"), m.width)))
	h := m.listHeight()
	for i := m.top; i < m.top+h; i++ {
		if i >= len(m.buf.vis) {
			b.WriteByte('\n')
			continue
		}
		it := m.buf.get(m.buf.vis[i])
		r := m.itemRow(c, it)
		if i == m.sel {
			line(m.styles.selected.Render(pad("▶ "+r, m.width)))
		} else {
			line("  " + r)
		}
	}
	rule := "── detail "
	if m.focus {
		rule = "── detail (tab: back to list, ↑/↓ scroll) "
	}
	line(m.styles.dim.Render(rule + strings.Repeat("─", max(m.width-ansi.StringWidth(rule), 0))))
	if m.detail.Height > 0 {
		b.WriteString(m.detail.View())
		b.WriteByte('\n')
	}
	line(m.promptLine())
	b.WriteString(m.helpView())
	return b.String()
}

// helpView is the footer. The short form drops the least needed keys
// until it fits, so "? help" and "q quit" always show.
func (m *Model) helpView() string {
	if m.help.ShowAll {
		return m.help.View(m.keys)
	}
	k := m.keys
	bindings := k.ShortHelp()
	measure := m.help
	measure.Width = 0 // unbounded: the real one cuts to fit with "…"
	for _, drop := range []key.Binding{k.Focus, k.Save, k.Newest, k.Search, k.Filter, k.Pause} {
		if lipgloss.Width(measure.ShortHelpView(bindings)) <= m.width {
			break
		}
		bindings = slices.DeleteFunc(bindings, func(b key.Binding) bool { return b.Help() == drop.Help() })
	}
	return m.help.ShortHelpView(bindings)
}

func (m *Model) titleLine() string {
	parts := []string{m.styles.title.Render("evtctl tail"), plural(m.received, "event"), fmt.Sprintf("%.0f/s", m.rate)}
	if n := len(m.buf.vis); n != len(m.buf.items) {
		parts = append(parts, fmt.Sprintf("showing %d of %d", n, len(m.buf.items)))
	}
	if m.filter.text != "" {
		parts = append(parts, "filter: "+m.filter.text)
	}
	if m.paused {
		parts = append(parts, m.styles.warn.Render(fmt.Sprintf("PAUSED (+%d new)", len(m.held))))
	} else if !m.follow {
		parts = append(parts, "scrolled (G: newest)")
	}
	if m.dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d not displayed (too fast)", m.dropped))
	}
	return strings.Join(parts, "  ·  ")
}

func (m *Model) sourceLine(name string, s *sourceState) string {
	now := m.opts.Now()
	st := s.last
	var state string
	switch st.Kind {
	case tail.Connecting:
		state = m.styles.warn.Render("connecting")
		if s.lastErr != nil {
			state = m.styles.warn.Render(fmt.Sprintf("reconnecting (last: %v)", s.lastErr))
		}
	case tail.Connected, tail.Hello:
		state = m.styles.ok.Render("live")
	case tail.Disconnected:
		state = m.styles.warn.Render(fmt.Sprintf("reconnecting (%v)", st.Err))
	case tail.Failed:
		state = m.styles.warn.Render(fmt.Sprintf("failed: %v", st.Err))
	}
	parts := []string{"● " + name, state}
	if !s.hello.IsZero() {
		parts = append(parts, "hello "+s.hello.In(m.opts.Location).Format("15:04:05"))
	}
	if !s.keepAlive.IsZero() {
		parts = append(parts, "keep-alive "+ago(now.Sub(s.keepAlive)))
	}
	parts = append(parts, plural(s.events, "event"), plural(s.reconnects, "reconnect"))
	return "  " + strings.Join(parts, " · ")
}

func ago(d time.Duration) string {
	if d < time.Second {
		return "just now"
	}
	return d.Truncate(time.Second).String() + " ago"
}

func (m *Model) promptLine() string {
	switch m.mode {
	case modeFilter:
		return "filter (field:value, words, -negate; enter applies, esc cancels): " + m.input.View()
	case modeSearch:
		return "search: " + m.input.View()
	case modeSave:
		return "save to: " + m.input.View()
	}
	if m.flash != "" {
		return m.flash
	}
	if m.search != "" {
		return m.styles.dim.Render("search: " + m.search + " (n/N)")
	}
	return ""
}

func (m *Model) itemRow(c cols, it *tail.Item) string {
	layout := "15:04:05.000"
	if c.time < colTimeMs {
		layout = "15:04:05"
	}
	t := it.ReceivedAt.In(m.opts.Location).Format(layout)
	return c.row(t, m.fromCell(it), it.Routing.DeviceID, typeCell(it), proto.Summary(it.Family, it.Event))
}

// typeCell is the event type unless it only restates the family
// ("composite", "analysis_result", "identification").
func typeCell(it *tail.Item) string {
	if it.Family != "" && strings.HasPrefix(it.Routing.EventType, string(it.Family)) {
		return ""
	}
	return it.Routing.EventType
}

// row lays out the columns; every cell is one line, cut to its width.
func (c cols) row(t, from, device, typ, sum string) string {
	var b strings.Builder
	for _, cell := range []struct {
		s string
		w int
	}{{t, c.time}, {from, c.from}, {device, c.device}, {typ, c.typ}} {
		if cell.w == 0 {
			continue
		}
		b.WriteString(pad(ansi.Truncate(clean(cell.s), cell.w, "…"), cell.w))
		b.WriteByte(' ')
	}
	b.WriteString(ansi.Truncate(clean(sum), c.summary, "…"))
	return b.String()
}

func familyName(it *tail.Item) string {
	if it.Family == "" {
		return "?"
	}
	return string(it.Family)
}

// clean keeps payload text from breaking the layout: control characters
// (newlines, escapes) become spaces.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func pad(s string, w int) string {
	if n := ansi.StringWidth(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

func (m *Model) detailText(it *tail.Item) string {
	head := fmt.Sprintf("%s · %s · received %s", it.Source, familyName(it), it.ReceivedAt.In(m.opts.Location).Format("2006-01-02 15:04:05.000"))
	if it.Cursor != "" {
		head += " · cursor " + it.Cursor
	}
	body := pretty(it.Event)
	return m.styles.dim.Render(head) + "\n" + clean2(string(body))
}

// clean2 is clean for multi-line text: it keeps the newlines.
func clean2(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return strings.Join(lines, "\n")
}

func indent(ev json.RawMessage) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, ev, "", "  "); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// plural is "1 event", "2 events".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
