package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/testkit"
	"github.com/evtctl/evtctl/internal/webhook/signing"
	"github.com/evtctl/evtctl/pkg/proto"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata")

var t0 = time.Date(2026, 3, 26, 9, 0, 0, 0, time.UTC)

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
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

// sample returns n records: verified sound events, forwarded, with a
// rejected request every third.
func sample(n int) []Record {
	var recs []Record
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Second)
		id := "msg_3c1d9a7e-0b5f-4c1e-9a57-2f0d8e6b1c44_" + strconv.Itoa(4711+i)
		if i%3 == 2 {
			recs = append(recs, Record{ReceivedAt: at, Answer: 401, WebhookID: id, Reason: "no signature matches"})
			continue
		}
		ev := json.RawMessage(`{"id":"e` + strconv.Itoa(i) + `","created_at":"2026-03-26T09:00:00Z","label_id":"dog_bark","mic_id":"mic_1","confidence":0.91}`)
		fw := &Forward{URL: "http://localhost:3000/hooks", Status: 200}
		if i == 3 {
			fw = &Forward{URL: fw.URL, Error: "connection refused"}
		}
		recs = append(recs, Record{ReceivedAt: at, Verified: true, Answer: 204, WebhookID: id, Family: proto.FamilySound, Event: ev, Forward: fw})
	}
	return recs
}

func TestScreens(t *testing.T) {
	banner := Banner{URL: "http://127.0.0.1:8200/", Secrets: "the secret of endpoint 3c1d9a7e-0b5f-4c1e-9a57-2f0d8e6b1c44", ForwardTo: "http://localhost:3000/hooks"}
	for _, c := range []struct {
		name string
		size tea.WindowSizeMsg
		msgs []tea.Msg
	}{
		{"80x24", tea.WindowSizeMsg{Width: 80, Height: 24}, nil},
		{"narrow_scrolled", tea.WindowSizeMsg{Width: 50, Height: 10}, nil},
		{"stopped", tea.WindowSizeMsg{Width: 80, Height: 12}, []tea.Msg{stopped{errors.New("accept tcp 127.0.0.1:8200: too many open files")}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := lipgloss.NewRenderer(io.Discard)
			r.SetColorProfile(termenv.Ascii)
			m := newUIModel(banner, r, time.UTC)
			m.Update(c.size)
			for _, rec := range sample(14) {
				m.Update(rec)
			}
			for _, msg := range c.msgs {
				m.Update(msg)
			}
			screen := m.View()
			golden(t, c.name, screen)
			lines := strings.Split(screen, "\n")
			if len(lines) > c.size.Height {
				t.Errorf("%d lines on a %d-line terminal", len(lines), c.size.Height)
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > c.size.Width {
					t.Errorf("line %d is %d wide on %d columns: %q", i, w, c.size.Width, l)
				}
			}
			if !strings.Contains(lines[len(lines)-1], "q quit") {
				t.Errorf("footer %q", lines[len(lines)-1])
			}
		})
	}
}

// Nothing a sender chose reaches the terminal as an escape sequence:
// header values and event fields are shown with their control characters
// replaced.
func TestRowsArePrintable(t *testing.T) {
	m := newUIModel(Banner{}, lipgloss.NewRenderer(io.Discard), time.UTC)
	evil := "\x1b]0;owned\x07\x1b[2J\x9b31m\xff"
	rec := Record{ReceivedAt: t0, WebhookID: clip("msg_" + evil), Verified: true, Answer: 204, Family: proto.FamilySound,
		Event: json.RawMessage(`{"label_id":"` + strings.ReplaceAll(evil[:len(evil)-1], "\x1b", `\u001b`) + `","mic_id":"m"}`)}
	m.Update(rec)
	m.Update(Record{ReceivedAt: t0, WebhookID: clip(evil), Answer: 400, Reason: "x"})
	for _, l := range strings.Split(m.View(), "\n") {
		if strings.ContainsAny(l, "\x1b\x07\u009b") || !utf8.ValidString(l) {
			t.Errorf("line %q", l)
		}
	}
}

// On a terminal, listen runs the full-screen view: a verified request
// shows up on it, q ends the command.
func TestListenFullScreen(t *testing.T) {
	secret := "whsec_" + "QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJD"
	f, out, errOut := cmdtest.LiveFactory("", "", "")
	keys, typing := io.Pipe()
	f.IOStreams.In = keys
	f.IOStreams.SetStdinTTY(true)
	f.IOStreams.SetStdoutTTY(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := newCmdListen(f)
	cmd.SetContext(ctx)
	done := make(chan error, 1)
	go func() { done <- cmdtest.Run(cmd, "--port", "0", "--secret", secret) }()
	testkit.Eventually(t, 10*time.Second, "the address", func() bool { return listenLine.MatchString(errOut.String()) })
	url := listenLine.FindStringSubmatch(errOut.String())[1]

	body := `{"id":"tui1","created_at":"2026-03-26T09:00:00Z","label_id":"glass_break","mic_id":"mic_9","confidence":0.77}`
	ts := time.Now().Unix()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set(signing.HeaderID, "msg_tui_1")
	req.Header.Set(signing.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(signing.HeaderSignature, signing.Sign([]string{secret}, "msg_tui_1", ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("answer %d", resp.StatusCode)
	}
	testkit.Eventually(t, 10*time.Second, "the request on screen", func() bool {
		s := out.String()
		return strings.Contains(s, "msg_tui_1") && strings.Contains(s, "glass_break") && strings.Contains(s, "1 verified")
	})
	if _, err := typing.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("q did not end listen")
	}
	typing.Close()
}
