package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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

// Column widths of the list; the summary takes the rest.
const (
	colTime   = 12
	colSource = 14
	colFamily = 14
	colDevice = 16
	colType   = 20
)

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
	line(m.styles.header.Render(pad("  "+m.row("TIME", "SOURCE", "FAMILY", "DEVICE", "TYPE", "SUMMARY"), m.width)))
	h := m.listHeight()
	for i := m.top; i < m.top+h; i++ {
		if i >= len(m.buf.vis) {
			b.WriteByte('\n')
			continue
		}
		it := m.buf.get(m.buf.vis[i])
		r := m.itemRow(it)
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
	b.WriteString(m.help.View(m.keys))
	return b.String()
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

func (m *Model) itemRow(it *tail.Item) string {
	t := it.ReceivedAt.In(m.opts.Location).Format("15:04:05.000")
	return m.row(t, it.Source, familyName(it), it.Routing.DeviceID, it.Routing.EventType, summary(it))
}

// row lays out the columns; every cell is one line, cut to its width.
func (m *Model) row(t, source, family, device, typ, sum string) string {
	cells := []struct {
		s string
		w int
	}{{t, colTime}, {source, colSource}, {family, colFamily}, {device, colDevice}, {typ, colType}}
	var b strings.Builder
	for _, c := range cells {
		b.WriteString(pad(ansi.Truncate(clean(c.s), c.w, "…"), c.w))
		b.WriteByte(' ')
	}
	b.WriteString(clean(sum))
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
