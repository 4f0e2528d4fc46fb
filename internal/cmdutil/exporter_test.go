package cmdutil

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/evtctl/evtctl/internal/iostreams"
)

type testEndpoint struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Type      string          `json:"type"`
	URL       string          `json:"url,omitempty"`
	Port      json.Number     `json:"port,omitempty"`
	Extra     json.RawMessage `json:"extra,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

var testNow = time.Date(2024, 5, 29, 12, 0, 0, 0, time.UTC)

var testItems = []testEndpoint{
	{ID: "ep_1", Name: "alerts", Type: "webhook", URL: "https://example.com/hook?a=1&b=<2>", CreatedAt: testNow.Add(-3 * time.Minute)},
	{ID: "ep_22", Name: "wall\tdisplay\nnorth", Type: "websocket", Port: "1e2", Extra: json.RawMessage(`{"b":1.50,"a":"123"}`), CreatedAt: testNow.Add(-26 * time.Hour)},
}

var testCols = []Column[testEndpoint]{
	Col("ID", func(e testEndpoint) string { return e.ID }),
	Col("NAME", func(e testEndpoint) string { return e.Name }),
	Col("TYPE", func(e testEndpoint) string { return e.Type }),
	TimeCol("CREATED", func(e testEndpoint) time.Time { return e.CreatedAt }),
	Col("URL", func(e testEndpoint) string { return e.URL }),
}

const listJSON = `[
  {
    "id": "ep_1",
    "name": "alerts",
    "type": "webhook",
    "url": "https://example.com/hook?a=1&b=<2>",
    "created_at": "2024-05-29T11:57:00Z"
  },
  {
    "id": "ep_22",
    "name": "wall\tdisplay\nnorth",
    "type": "websocket",
    "port": 1e2,
    "extra": {
      "b": 1.50,
      "a": "123"
    },
    "created_at": "2024-05-28T10:00:00Z"
  }
]
`

const listYAML = `- id: ep_1
  name: alerts
  type: webhook
  url: https://example.com/hook?a=1&b=<2>
  created_at: "2024-05-29T11:57:00Z"
- id: ep_22
  name: |-
    wall	display
    north
  type: websocket
  port: 1e2
  extra:
    b: 1.50
    a: "123"
  created_at: "2024-05-28T10:00:00Z"
`

func testFactory(format string, tty, color bool) (*Factory, *iostreams.IOStreams) {
	ios, _, _, _ := iostreams.Test()
	ios.SetStdoutTTY(tty)
	ios.SetNoColor(!color)
	ios.SetTerminalWidth(120) // wide enough for every table here
	f := &Factory{IOStreams: ios, Globals: &Globals{Output: format}}
	return f, ios
}

func TestPrint(t *testing.T) {
	old := timeNow
	timeNow = func() time.Time { return testNow }
	t.Cleanup(func() { timeNow = old })

	tests := []struct {
		name    string
		format  string
		tty     bool
		color   bool
		items   []testEndpoint
		wantOut string
		wantErr string // stderr
	}{
		{
			name:   "table tty",
			format: "table", tty: true, items: testItems,
			wantOut: "" +
				"ID     NAME                TYPE       CREATED  URL\n" +
				"ep_1   alerts              webhook    3m ago   https://example.com/hook?a=1&b=<2>\n" +
				"ep_22  wall display north  websocket  1d ago\n",
		},
		{
			name:   "table tty colour",
			format: "", tty: true, color: true, items: testItems,
			wantOut: "" +
				"\x1b[1mID     NAME                TYPE       CREATED  URL\x1b[0m\n" +
				"ep_1   alerts              webhook    3m ago   https://example.com/hook?a=1&b=<2>\n" +
				"ep_22  wall display north  websocket  1d ago\n",
		},
		{
			name:   "table not tty",
			format: "table", items: testItems,
			wantOut: "" +
				"ep_1\talerts\twebhook\t2024-05-29T11:57:00Z\thttps://example.com/hook?a=1&b=<2>\n" +
				"ep_22\twall display north\twebsocket\t2024-05-28T10:00:00Z\t\n",
		},
		{name: "table tty empty", format: "table", tty: true, wantErr: "No results.\n"},
		{name: "table not tty empty", format: "table"},
		{name: "json tty", format: "json", tty: true, items: testItems, wantOut: listJSON},
		{name: "json not tty", format: "json", items: testItems, wantOut: listJSON},
		{name: "json empty", format: "json", wantOut: "[]\n"},
		{name: "yaml tty", format: "yaml", tty: true, items: testItems, wantOut: listYAML},
		{name: "yaml not tty", format: "yaml", items: testItems, wantOut: listYAML},
		{name: "yaml empty", format: "yaml", wantOut: "[]\n"},
		{name: "id tty", format: "id", tty: true, items: testItems, wantOut: "ep_1\nep_22\n"},
		{name: "id not tty", format: "id", items: testItems, wantOut: "ep_1\nep_22\n"},
		{name: "id empty", format: "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ios := testFactory(tt.format, tt.tty, tt.color)
			if err := Print(f, tt.items, testCols); err != nil {
				t.Fatal(err)
			}
			if got := ios.Out.(interface{ String() string }).String(); got != tt.wantOut {
				t.Errorf("stdout:\n%q\nwant:\n%q", got, tt.wantOut)
			}
			if got := ios.ErrOut.(interface{ String() string }).String(); got != tt.wantErr {
				t.Errorf("stderr: %q, want %q", got, tt.wantErr)
			}
		})
	}
}

func TestPrintOne(t *testing.T) {
	old := timeNow
	timeNow = func() time.Time { return testNow }
	t.Cleanup(func() { timeNow = old })

	item := testItems[0]
	tests := []struct {
		name   string
		format string
		quiet  bool
		tty    bool
		color  bool
		want   string
	}{
		{
			name: "table tty", format: "table", tty: true,
			want: "" +
				"ID       ep_1\n" +
				"NAME     alerts\n" +
				"TYPE     webhook\n" +
				"CREATED  3m ago\n" +
				"URL      https://example.com/hook?a=1&b=<2>\n",
		},
		{
			name: "table tty colour", format: "table", tty: true, color: true,
			want: "" +
				"\x1b[1mID\x1b[0m       ep_1\n" +
				"\x1b[1mNAME\x1b[0m     alerts\n" +
				"\x1b[1mTYPE\x1b[0m     webhook\n" +
				"\x1b[1mCREATED\x1b[0m  3m ago\n" +
				"\x1b[1mURL\x1b[0m      https://example.com/hook?a=1&b=<2>\n",
		},
		{
			name: "table not tty", format: "table",
			want: "ep_1\talerts\twebhook\t2024-05-29T11:57:00Z\thttps://example.com/hook?a=1&b=<2>\n",
		},
		{
			name: "json", format: "json", tty: true,
			want: `{
  "id": "ep_1",
  "name": "alerts",
  "type": "webhook",
  "url": "https://example.com/hook?a=1&b=<2>",
  "created_at": "2024-05-29T11:57:00Z"
}
`,
		},
		{
			name: "yaml", format: "yaml",
			want: `id: ep_1
name: alerts
type: webhook
url: https://example.com/hook?a=1&b=<2>
created_at: "2024-05-29T11:57:00Z"
`,
		},
		{name: "id tty", format: "id", tty: true, want: "ep_1\n"},
		{name: "id not tty", format: "id", want: "ep_1\n"},
		{name: "quiet wins", format: "json", quiet: true, want: "ep_1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ios := testFactory(tt.format, tt.tty, tt.color)
			f.Globals.Quiet = tt.quiet
			if err := PrintOne(f, item, testCols); err != nil {
				t.Fatal(err)
			}
			if got := ios.Out.(interface{ String() string }).String(); got != tt.want {
				t.Errorf("stdout:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

// The YAML output must carry the same data as the JSON output.
func TestYAMLRoundTrip(t *testing.T) {
	var fromJSON, fromYAML any
	if err := json.Unmarshal([]byte(listJSON), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(listYAML), &fromYAML); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, fromYAML) {
		t.Errorf("json:\n%#v\nyaml:\n%#v", fromJSON, fromYAML)
	}
}

func TestPrintIDForms(t *testing.T) {
	type numbered struct {
		ID int `json:"id"`
	}
	f, ios := testFactory("id", false, false)
	if err := Print(f, []numbered{{7}, {42}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := ios.Out.(interface{ String() string }).String(); got != "7\n42\n" {
		t.Errorf("got %q", got)
	}

	type noID struct {
		Name string `json:"name"`
	}
	f, ios = testFactory("id", false, false)
	if err := PrintOne(f, noID{"x"}, nil); err == nil {
		t.Error("want an error for a value without id")
	}
	if got := ios.Out.(interface{ String() string }).String(); got != "" {
		t.Errorf("nothing should be printed, got %q", got)
	}
}

func TestValidateOutput(t *testing.T) {
	for _, ok := range []string{"", "table", "json", "yaml", "id"} {
		if err := ValidateOutput(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"JSON", "csv", "wide"} {
		err := ValidateOutput(bad)
		var fe *FlagError
		if !errors.As(err, &fe) {
			t.Errorf("%q: want FlagError, got %v", bad, err)
		}
		if ExitCode(err) != ExitUsage {
			t.Errorf("%q: exit code %d", bad, ExitCode(err))
		}
	}
	f, _ := testFactory("csv", false, false)
	if err := Print(f, testItems, testCols); ExitCode(err) != ExitUsage {
		t.Errorf("Print with bad format: %v", err)
	}
}

func TestRelativeTime(t *testing.T) {
	now := testNow
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"},
		{45 * time.Second, "45s ago"},
		{3*time.Minute + 59*time.Second, "3m ago"},
		{2 * time.Hour, "2h ago"},
		{5 * 24 * time.Hour, "5d ago"},
		{-3 * time.Minute, "in 3m"},
	}
	for _, tt := range tests {
		if got := RelativeTime(now.Add(-tt.d), now); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.d, got, tt.want)
		}
	}
	old := time.Date(2024, 1, 2, 12, 0, 0, 0, time.Local)
	if got := RelativeTime(old, now); got != "2024-01-02" {
		t.Errorf("old: got %q", got)
	}
}
