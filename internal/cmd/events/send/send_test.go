package send

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdSendArgs(t *testing.T) {
	fake := ingestFake(t)
	file := filepath.Join(t.TempDir(), "a.json")
	os.WriteFile(file, []byte(`{"id":"from-file"}`), 0o644)
	tests := []struct {
		args     []string
		stdinTTY bool
		wantBody string // the request's body: from the file or from stdin
		wantErr  string
	}{
		{args: []string{"sound", file}, wantBody: `{"id":"from-file"}`},
		{args: []string{"analysis", "-"}, wantBody: `{"id":"from-stdin"}`},
		{args: []string{"identification"}, wantBody: `{"id":"from-stdin"}`},
		{args: []string{"identification"}, stdinTTY: true, wantErr: "give a FILE, or pipe the events into standard input"},
		{args: nil, wantErr: "give the event family"},
		{args: []string{"audio", "a.json"}, wantErr: `unknown event family "audio" (want sound, analysis, identification or composite)`},
		{args: []string{"sound", "a", "b"}, wantErr: "at most one file"},
		{args: []string{"sound", "a", "--batch", "0"}, wantErr: "--batch must be at least 1"},
	}
	for _, tt := range tests {
		n := len(fake.Requests())
		s, err := send(fake, "", `{"id":"from-stdin"}`, tt.stdinTTY, tt.args...)
		if tt.wantErr != "" {
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tt.wantErr) || len(fake.Requests()) != n {
				t.Errorf("%v: err = %v", tt.args, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if req := fake.Last(t); req.Path != "/api/v1/events/"+tt.args[0] || string(req.Body) != tt.wantBody || s.Out.String() != "1\t0\n" {
			t.Errorf("%v: request %+v, stdout %q", tt.args, req, s.Out)
		}
	}
}

// send runs `evtctl events send args` against fake with stdin and -o output.
func send(fake *cmdtest.Fake, output, stdin string, stdinTTY bool, args ...string) (*cmdtest.Streams, error) {
	f, s := cmdtest.Factory(fake.URL, "tok")
	f.Globals.Output = output
	s.IO.SetStdinTTY(stdinTTY)
	s.In.WriteString(stdin)
	return s, cmdtest.Run(NewCmdSend(f), args...)
}

// ingestFake answers like the gateway: 400 listing records whose "bad" field
// is set, else 202 counting records with "dup" as duplicates.
func ingestFake(t *testing.T) *cmdtest.Fake {
	fake := cmdtest.NewFake(t)
	fake.HandleFunc("POST /api/v1/events/{family}", func(w http.ResponseWriter, r *http.Request) {
		req := fake.Last(t)
		lines := strings.Split(strings.TrimSpace(string(req.Body)), "\n")
		var details []string
		acc, dup := 0, 0
		for i, l := range lines {
			switch {
			case strings.Contains(l, `"bad"`):
				details = append(details, fmt.Sprintf(`{"index":%d,"field":"created_at","reason":"is not a valid time"}`, i))
			case strings.Contains(l, `"dup"`):
				dup++
			default:
				acc++
			}
		}
		if details != nil {
			cmdtest.Reply(w, 400, `{"error":{"code":"validation_failed","message":"Some records are invalid; nothing was stored.","details":[`+strings.Join(details, ",")+`]}}`)
			return
		}
		cmdtest.Reply(w, 202, fmt.Sprintf(`{"accepted":%d,"duplicates":%d}`, acc, dup))
	})
	return fake
}

func TestSendRun(t *testing.T) {
	fake := ingestFake(t)

	// One object from a file: sent as JSON, compacted.
	p := filepath.Join(t.TempDir(), "one.json")
	os.WriteFile(p, []byte("{\n  \"id\": \"e1\",\n  \"x\": 1.50\n}\n"), 0o644)
	s, err := send(fake, "", "", false, "sound", p, "--owner", "acme")
	if err != nil {
		t.Fatal(err)
	}
	req := fake.Last(t)
	if req.Path != "/api/v1/events/sound" || req.RawQuery != "owner=acme" || req.ContentType != "application/json" || string(req.Body) != `{"id":"e1","x":1.50}` {
		t.Errorf("request %+v", req)
	}
	if s.Out.String() != "1\t0\n" {
		t.Errorf("stdout %q", s.Out)
	}

	// An array from stdin: sent as NDJSON; -o json prints the counts.
	if s, err = send(fake, "json", `[{"id":"e1"},{"id":"e2","dup":1},{"id":"e3"}]`, false, "sound"); err != nil {
		t.Fatal(err)
	}
	req = fake.Last(t)
	if req.ContentType != "application/x-ndjson" || string(req.Body) != "{\"id\":\"e1\"}\n{\"id\":\"e2\",\"dup\":1}\n{\"id\":\"e3\"}\n" {
		t.Errorf("request %+v", req)
	}
	if s.Out.String() != "{\n  \"accepted\": 2,\n  \"duplicates\": 1\n}\n" {
		t.Errorf("stdout %q", s.Out)
	}
}

func TestSendRunBatchesAndErrors(t *testing.T) {
	fake := ingestFake(t)
	var in strings.Builder
	for i := range 7 {
		fmt.Fprintf(&in, "{\"id\":\"e%d\"}\n", i)
	}

	// 7 records in batches of 3: three requests, totals summed.
	before := len(fake.Requests())
	s, err := send(fake, "", in.String(), false, "sound", "--batch", "3")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Requests()) - before; n != 3 || s.Out.String() != "7\t0\n" {
		t.Errorf("%d requests, stdout %q", n, s.Out)
	}

	// A bad record in the second batch: its index counts from the start of
	// the input, and the message says what the first batch stored.
	s, err = send(fake, "", in.String()+"{\"id\":\"e7\",\"bad\":1}\n", false, "sound", "--batch", "4")
	want := "Some records are invalid; nothing was stored.\nrecord 7: created_at: is not a valid time\n" +
		"The 4 records before record 4 were sent (accepted 4, duplicates 0)"
	if err == nil || !strings.HasPrefix(err.Error(), want) || cmdutil.ExitCode(err) != 1 || s.Out.Len() != 0 {
		t.Errorf("err = %v", err)
	}

	// One batch: the plain list of bad records.
	_, err = send(fake, "", "{\"id\":\"a\"}\n{\"bad\":1}\n{\"bad\":2}\n", false, "sound")
	want = "Some records are invalid; nothing was stored.\nrecord 1: created_at: is not a valid time\nrecord 2: created_at: is not a valid time"
	if err == nil || err.Error() != want {
		t.Errorf("err = %q\nwant %q", err, want)
	}

	// Bad input never reaches the gateway.
	before = len(fake.Requests())
	_, err = send(fake, "", "{\"id\":\"a\"}\nnot json\n", false, "sound")
	if err == nil || !strings.HasPrefix(err.Error(), "standard input: record 1 (line 2) is not valid JSON") || len(fake.Requests()) != before {
		t.Errorf("err = %v", err)
	}
	_, err = send(fake, "", "", false, "sound", filepath.Join(t.TempDir(), "missing.json"))
	if err == nil || !strings.HasSuffix(err.Error(), "missing.json does not exist") {
		t.Errorf("err = %v", err)
	}
}

func TestBatchBytes(t *testing.T) {
	big := make([]byte, maxBatchBytes/2+1)
	records := [][]byte{big, big, big}
	end, body := batch(records, 0, 10)
	if end != 1 || len(body) != len(big)+1 {
		t.Errorf("end %d, len %d", end, len(body))
	}
	// A single record bigger than the cap still goes (the gateway judges it).
	huge := [][]byte{make([]byte, maxBatchBytes+1)}
	if end, _ := batch(huge, 0, 10); end != 1 {
		t.Errorf("end %d", end)
	}
}
