package query

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdQueryFlags(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("GET /api/v1/events", 200, `{"items":[]}`)
	_, err := run(fake, "", false, "--family", "sound", "--device-id", "mic 7", "--agent-id", "edge-1", "--event-type", "scream",
		"--since", "2026-11-23 10:00:00.5+01:00", "--until", "1h", "--after", "42", "--limit", "10", "--owner", "acme", "--all")
	if err != nil {
		t.Fatal(err)
	}
	q, _ := url.ParseQuery(fake.Last(t).RawQuery)
	if q.Encode() != "after=42&agent_id=edge-1&device_id=mic+7&event_type=scream&family=sound&limit=10&owner=acme&since=2026-11-23T09%3A00%3A00.5Z&until="+
		strings.ReplaceAll(q.Get("until"), ":", "%3A") {
		t.Errorf("query = %s", q.Encode())
	}
	// --until 1h is an hour before now.
	until, err := time.Parse(time.RFC3339Nano, q.Get("until"))
	if err != nil || time.Since(until) < time.Hour || time.Since(until) > time.Hour+time.Minute {
		t.Errorf("until = %s", q.Get("until"))
	}

	n := len(fake.Requests())
	for args, wantErr := range map[string]string{
		"--family audio":   `unknown event family "audio"`,
		"--since tomorrow": `invalid value "tomorrow" for --since`,
		"--until -5m":      `invalid value "-5m" for --until`,
		"--limit 1001":     "--limit must be from 1 to 1000",
		"--after abc":      `invalid value "abc" for --after`,
		"sound":            "takes no arguments",
	} {
		_, err := run(fake, "", false, strings.Fields(args)...)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s: err = %v", args, err)
		}
	}
	if len(fake.Requests()) != n {
		t.Error("a usage error sent a request")
	}
}

// pagedFake serves three events, two per page.
func pagedFake(t *testing.T) *cmdtest.Fake {
	fake := cmdtest.NewFake(t)
	fake.HandleFunc("GET /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("after") {
		case "":
			cmdtest.Reply(w, 200, `{"items":[`+
				`{"cursor":"1","family":"sound","owner":"acme","received_at":"2026-11-23T10:00:00Z","event":{"id":"s1","mic_id":"mic-7","label_id":"scream","created_at":"2026-11-23T10:00:00Z","note":"<&>","n":1.50}},`+
				`{"cursor":"2","family":"analysis","owner":"acme","received_at":"2026-11-23T10:00:01Z","event":{"deviceId":"cam-1","analysisId":"a","timestamp":"2026-11-23T10:00:00Z","detections":[]}}`+
				`],"next_cursor":"2"}`)
		case "2":
			cmdtest.Reply(w, 200, `{"items":[{"cursor":"3","family":"composite","owner":"acme","received_at":"2026-11-23T10:00:02Z","event":{"id":"c1"}}]}`)
		default:
			cmdtest.Reply(w, 400, `{"error":{"code":"invalid_cursor","message":"Unknown cursor."}}`)
		}
	})
	return fake
}

// run runs `evtctl events query args` against fake with -o output, on a
// terminal or not.
func run(fake *cmdtest.Fake, output string, tty bool, args ...string) (*cmdtest.Streams, error) {
	f, s := cmdtest.Factory(fake.URL, "tok")
	f.Globals.Output = output
	s.IO.SetStdoutTTY(tty)
	s.IO.SetStderrTTY(tty)
	return s, cmdtest.Run(NewCmdQuery(f), args...)
}

func TestQueryRunJSONIsNDJSON(t *testing.T) {
	fake := pagedFake(t)
	s, err := run(fake, "json", false, "--all", "--family", "sound")
	if err != nil {
		t.Fatal(err)
	}
	// One compact record per line, the payload byte for byte (no HTML escaping).
	want := `{"cursor":"1","family":"sound","owner":"acme","received_at":"2026-11-23T10:00:00Z","event":{"id":"s1","mic_id":"mic-7","label_id":"scream","created_at":"2026-11-23T10:00:00Z","note":"<&>","n":1.50}}` + "\n" +
		`{"cursor":"2","family":"analysis","owner":"acme","received_at":"2026-11-23T10:00:01Z","event":{"deviceId":"cam-1","analysisId":"a","timestamp":"2026-11-23T10:00:00Z","detections":[]}}` + "\n" +
		`{"cursor":"3","family":"composite","owner":"acme","received_at":"2026-11-23T10:00:02Z","event":{"id":"c1"}}` + "\n"
	if s.Out.String() != want {
		t.Errorf("stdout:\n%s\nwant\n%s", s.Out, want)
	}
	reqs := fake.Requests()
	if len(reqs) != 2 || reqs[0].RawQuery != "family=sound&limit=1000" || reqs[1].RawQuery != "after=2&family=sound&limit=1000" {
		t.Errorf("requests %+v", reqs)
	}
}

func TestQueryRunFormats(t *testing.T) {
	fake := pagedFake(t)

	// Without --all: one page; a terminal is told how to go on.
	s, err := run(fake, "id", true)
	if err != nil || s.Out.String() != "1\n2\n" || s.ErrOut.String() != "More events match: add --after 2 for the next page, or --all.\n" {
		t.Errorf("err %v, stdout %q, stderr %q", err, s.Out, s.ErrOut)
	}
	// ... a script is not (stderr stays clean).
	s, err = run(fake, "id", false)
	if err != nil || s.ErrOut.Len() != 0 {
		t.Errorf("err %v, stderr %q", err, s.ErrOut)
	}

	// Tab-separated rows with the routing attributes and a summary of the
	// payload (-o json has all of it).
	s, err = run(fake, "table", false, "--all")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(s.Out.String(), "\n")
	if len(lines) != 4 || lines[0] != "1\tsound\tacme\t2026-11-23T10:00:00Z\tmic-7\tscream\tscream" ||
		!strings.HasPrefix(lines[1], "2\tanalysis\tacme\t2026-11-23T10:00:01Z\tcam-1\tanalysis_result\t") || strings.Contains(lines[1], "{") {
		t.Errorf("stdout:\n%s", s.Out)
	}

	// The terminal table: a header, aligned rows, a summary column.
	s, err = run(fake, "table", true, "--all")
	if err != nil {
		t.Fatal(err)
	}
	if out := s.Out.String(); !strings.HasPrefix(out, "CURSOR  FAMILY     OWNER  RECEIVED") || !strings.Contains(out, "SUMMARY") || strings.Contains(out, `"mic_id"`) || strings.Count(out, "\n") != 4 {
		t.Errorf("stdout:\n%s", out)
	}

	// YAML: one list of every page.
	s, err = run(fake, "yaml", false, "--all")
	if err != nil || strings.Count(s.Out.String(), "- cursor:") != 3 || !strings.Contains(s.Out.String(), "    n: 1.50\n") {
		t.Errorf("err %v, stdout:\n%s", err, s.Out)
	}

	// A gateway error: its sentence, exit 1.
	_, err = run(fake, "json", false, "--after", "99")
	if err == nil || err.Error() != "Unknown cursor." || cmdutil.ExitCode(err) != 1 {
		t.Errorf("err = %v", err)
	}
}
