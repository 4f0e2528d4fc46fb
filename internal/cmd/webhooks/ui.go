package webhooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/evtctl/evtctl/pkg/proto"
)

// uiKeep is how many records the full-screen view keeps (the newest).
const uiKeep = 1000

// stopped tells the view the receiver stopped and why.
type stopped struct{ err error }

// uiModel is the full-screen view of listen: what it listens on, counts,
// and the newest requests, one a line, newest at the bottom.
type uiModel struct {
	banner        Banner
	records       []Record
	verified      int
	rejected      int
	forwardFailed int
	width, height int
	loc           *time.Location
	ok, bad, dim  lipgloss.Style
	title         lipgloss.Style
	err           error
}

func newUIModel(b Banner, r *lipgloss.Renderer, loc *time.Location) *uiModel {
	return &uiModel{
		banner: b, width: 80, height: 24, loc: loc,
		ok:    r.NewStyle().Foreground(lipgloss.Color("2")),
		bad:   r.NewStyle().Foreground(lipgloss.Color("1")),
		dim:   r.NewStyle().Faint(true),
		title: r.NewStyle().Bold(true),
	}
}

func (m *uiModel) Init() tea.Cmd { return nil }

func (m *uiModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyMsg:
		switch msg.String() {
		case "q", "ctrl+c", "esc":
			return m, tea.Quit
		}
	case Record:
		m.add(msg)
	case stopped:
		m.err = msg.err
		return m, tea.Quit
	}
	return m, nil
}

func (m *uiModel) add(rec Record) {
	if rec.Verified {
		m.verified++
	} else {
		m.rejected++
	}
	if f := rec.Forward; f != nil && (f.Status < 200 || f.Status > 299) {
		m.forwardFailed++
	}
	m.records = append(m.records, rec)
	if len(m.records) > 2*uiKeep { // trimmed at twice the bound: amortised
		m.records = append(m.records[:0], m.records[len(m.records)-uiKeep:]...)
	}
}

func (m *uiModel) View() string {
	var b strings.Builder
	line := func(s string) {
		b.WriteString(ansi.Truncate(s, m.width, "…"))
		b.WriteByte('\n')
	}
	line(m.title.Render("evtctl webhooks listen") + " on " + m.banner.URL)
	how := "verifying with " + m.banner.Secrets
	if m.banner.ForwardTo != "" {
		how += ", forwarding to " + m.banner.ForwardTo
	}
	line(m.dim.Render(how))
	counts := m.ok.Render(fmt.Sprintf("%d verified", m.verified)) + "  " + m.bad.Render(fmt.Sprintf("%d rejected", m.rejected))
	if m.banner.ForwardTo != "" {
		counts += fmt.Sprintf("  %d not forwarded with 2xx", m.forwardFailed)
	}
	line(counts)
	line(m.title.Render(fmt.Sprintf("%-8s  %-8s  %-6s  %-7s  %s", "TIME", "RESULT", "ANSWER", "FORWARD", "EVENT OR REASON, WEBHOOK-ID")))
	rows := max(m.height-6, 1)
	from := max(len(m.records)-rows, 0)
	shown := 0
	for _, rec := range m.records[from:] {
		line(m.row(rec))
		shown++
	}
	for ; shown < rows; shown++ {
		line("")
	}
	if m.err != nil {
		line(m.bad.Render("the receiver stopped: " + m.err.Error()))
	} else {
		line("")
	}
	b.WriteString(m.dim.Render("q quit"))
	return b.String()
}

// row is one request: time, outcome, answer, forward status, then the
// event's summary or why it was rejected, and last the webhook-id (long:
// msg_<endpoint id>_<cursor>), which a narrow terminal cuts first.
func (m *uiModel) row(rec Record) string {
	result, style := "verified", m.ok
	if !rec.Verified {
		result, style = "rejected", m.bad
	}
	fw := "-"
	if f := rec.Forward; f != nil {
		fw = "error"
		if f.Status != 0 {
			fw = fmt.Sprint(f.Status)
		}
	}
	what := rec.Reason
	if rec.Verified {
		switch {
		case rec.Family != "":
			what = string(rec.Family) + ": " + proto.Summary(rec.Family, rec.Event)
		case rec.Event != nil:
			what = "JSON of no known family"
		default:
			what = "not JSON"
		}
		if f := rec.Forward; f != nil && f.Error != "" {
			what += "; not forwarded: " + f.Error
		}
	}
	what = printable(what) // an event's fields are the sender's words
	id := rec.WebhookID
	if id == "" {
		id = "(no webhook-id)"
	}
	return fmt.Sprintf("%-8s  %s  %-6d  %-7s  %s  %s", rec.ReceivedAt.In(m.loc).Format("15:04:05"), style.Render(fmt.Sprintf("%-8s", result)), rec.Answer, fw, what, m.dim.Render(id))
}

// runUI shows the records full-screen until q, ctx's end, the receiver's
// end, or --count verified requests.
func runUI(ctx context.Context, cancel context.CancelFunc, opts *listenOptions, banner Banner, records <-chan Record, served <-chan error) error {
	ios := opts.Factory.IOStreams
	r := lipgloss.NewRenderer(ios.Out)
	if !ios.ColorEnabled() {
		r.SetColorProfile(termenv.Ascii)
	}
	m := newUIModel(banner, r, time.Local)
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(ios.In), tea.WithOutput(ios.Out))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		verified := 0
		for {
			select {
			case <-ctx.Done():
				return
			case err := <-served:
				p.Send(stopped{err})
				return
			case rec := <-records:
				p.Send(rec)
				if rec.Verified {
					verified++
					if opts.Count > 0 && verified >= opts.Count {
						p.Quit()
						return
					}
				}
			}
		}
	}()
	_, err := p.Run()
	cancel()
	wg.Wait()
	if m.err != nil {
		return fmt.Errorf("the receiver stopped: %w", m.err)
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
