package resource_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmd/endpoints"
	"github.com/evtctl/evtctl/internal/cmd/filters"
	"github.com/evtctl/evtctl/internal/cmd/keys"
	"github.com/evtctl/evtctl/internal/cmd/rules"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// A resourceCase is one management resource as its generic commands (create,
// list, get, update, delete/revoke) see it: the tests below run each command line
// against every resource, through the noun's cobra command and a fake
// gateway.
type resourceCase struct {
	noun string
	cmd  func(*cmdutil.Factory) *cobra.Command
	path string // collection path
	kind string // the noun in messages
	id   string // the id the fake gateway knows

	item      string // the gateway's JSON for id
	getLine   string // `get` without a terminal: one tab-separated line
	getTTY    string // part of `get` on a terminal
	listLine  string // the first line of `list`
	sorts     bool   // list has --id and --sort
	narrow    string // a narrowing list flag and value, e.g. "--type webhook"
	query     string // the query of list with narrow, --owner acme and (with sorts) --id x --sort -created_at
	otherFlag string // a narrowing flag of another resource: unknown here

	create     string     // create's arguments, with every required flag
	creates    []flagCase // the noun's own create flags and checks
	createBody string     // the POST body they make
	createLine string     // create's output without a terminal (the gateway answers item); default getLine
	required   string     // the usage error of create without flags

	updates []flagCase // none: the resource has no update

	verb, past string // delete or revoke; Deleted or Revoked
}

// A flagCase is a command line of create or update and what it makes.
type flagCase struct {
	args, body, err string // args after the verb (and id); the request body; or part of the usage error
}

var resources = []resourceCase{
	{
		noun: "endpoints", cmd: endpoints.Command.New, path: "/api/v1/endpoints", kind: "endpoint", id: "ep_1",
		item:     `{"id":"ep_1","owner":"acme","name":"wall","type":"websocket","enabled":true,"created_at":"2026-11-23T10:00:00Z","updated_at":"2026-11-23T11:00:00Z"}`,
		getLine:  "ep_1\twall\twebsocket\ttrue\t\t2026-11-23T10:00:00Z\tacme\t\t\t\t2026-11-23T11:00:00Z\n",
		getTTY:   "NAME             wall\n",
		listLine: "ep_1\twall\twebsocket\ttrue\t\t2026-11-23T10:00:00Z\n",
		sorts:    true, narrow: "--type webhook", otherFlag: "--endpoint ep_1",
		query: "id=x&owner=acme&sort=-created_at&type=webhook",
		updates: []flagCase{
			// Only the flags given; --enabled's default (true) is not sent.
			{args: "--url https://new.example", body: `{"url":"https://new.example"}`},
			{args: "--enabled=false --name n", body: `{"enabled":false,"name":"n"}`},
			{args: "--secret ''", body: `{"secret":"''"}`},
			{args: "", err: "nothing to update: set at least one of --name, --url, --secret, --enabled"},
			// The type is set once, at creation.
			{args: "--type webhook", err: "unknown flag: --type"},
		},
		create: "--name wall --type websocket --enabled=false --owner acme", createBody: `{"enabled":false,"name":"wall","owner":"acme","type":"websocket"}`,
		creates: []flagCase{
			{args: "--name a --type webhook --url https://x.example/h --secret whsec_abc --enabled=false --owner acme",
				body: `{"enabled":false,"name":"a","owner":"acme","secret":"whsec_abc","type":"webhook","url":"https://x.example/h"}`},
			{args: "--type websocket", err: "--name is required"},
			{args: "--name a --type carrier-pigeon", err: `invalid value "carrier-pigeon" for --type: want websocket or webhook`},
			{args: "--name a --type webhook", err: "--url is required for a webhook endpoint"},
		},
		required: "--name and --type are required",
		verb:     "delete", past: "Deleted",
	},
	{
		noun: "filters", cmd: filters.Command.New, path: "/api/v1/event-filters", kind: "filter", id: "flt_1",
		item:     `{"id":"flt_1","name":"lobby","endpoint_id":"ep_1","device_ids":["cam-1"]}`,
		getLine:  "flt_1\tlobby\tep_1\tcam-1\t\t\t\t\t\t\t\n",
		getTTY:   "ENDPOINT     ep_1\n",
		listLine: "flt_1\tlobby\tep_1\tcam-1\t\t\t\t\n",
		sorts:    true, narrow: "--endpoint ep_1", otherFlag: "--type webhook",
		query: "endpoint_id=ep_1&id=x&owner=acme&sort=-created_at",
		updates: []flagCase{
			{args: "--device-id a --device-id b", body: `{"device_ids":["a","b"]}`},
			// One empty value clears the list.
			{args: `--event-type ""`, body: `{"event_types":[]}`},
			{args: "--endpoint ep_2", body: `{"endpoint_id":"ep_2"}`},
			{args: "", err: "nothing to update"},
			// A filter belongs to its endpoint's tenant.
			{args: "--owner x", err: "unknown flag: --owner"},
		},
		create: "--endpoint ep_1 --device-id cam-1 --device-id cam,2", createBody: `{"device_ids":["cam-1","cam,2"],"endpoint_id":"ep_1"}`,
		creates: []flagCase{
			// Repeatable singular flags build the API's lists, in order.
			{args: "--endpoint ep_1 --name lobby --device-id cam-1 --device-id cam,2 --agent-id edge-1 --watchlist-id wl-9 --event-type glass_break",
				body: `{"agent_ids":["edge-1"],"device_ids":["cam-1","cam,2"],"endpoint_id":"ep_1","event_types":["glass_break"],"name":"lobby","watchlist_ids":["wl-9"]}`},
			// A filter belongs to its endpoint's tenant.
			{args: "--endpoint ep_1 --owner acme", err: "unknown flag: --owner"},
		},
		required: "--endpoint is required",
		verb:     "delete", past: "Deleted",
	},
	{
		noun: "rules", cmd: rules.Command.New, path: "/api/v1/rules", kind: "rule", id: "rule_1",
		item:     `{"id":"rule_1","name":"lobby","window_seconds":30,"min_events":3,"enabled":true,"group_by":"mic_id","include_mic_ids":["m1","m2"],"cooldown_seconds":10}`,
		getLine:  "rule_1\tlobby\ttrue\t30s\t3\tmic_id\t\tm1,m2\t\t10s\t\t\t\n",
		getTTY:   "GROUP BY     mic_id\n",
		listLine: "rule_1\tlobby\ttrue\t30s\t3\tmic_id\t\tm1,m2\t\n",
		sorts:    true, otherFlag: "--type webhook",
		query: "id=x&owner=acme&sort=-created_at",
		updates: []flagCase{
			{args: "--enabled=false", body: `{"enabled":false}`},
			{args: `--include-mic-id ""`, body: `{"include_mic_ids":[]}`},
			{args: "--window-seconds 60 --min-events 5", body: `{"min_events":5,"window_seconds":60}`},
			{args: "--min-events 0", err: "--min-events must be at least 1"},
			{args: "--group-by device", err: `invalid value "device" for --group-by`},
			{args: "", err: "nothing to update: set at least one of --name, --description, --window-seconds"},
		},
		create: "--name lobby --window-seconds 30 --min-events 3 --include-mic-id m1", createBody: `{"include_mic_ids":["m1"],"min_events":3,"name":"lobby","window_seconds":30}`,
		creates: []flagCase{
			// Numbers travel as JSON numbers; a zero that was given is sent.
			{args: "--name screams --description d --window-seconds 30 --min-events 3 --enabled=false --group-by edge_id " +
				"--include-label-id scream --include-label-id glass --include-mic-id mic-1 --cooldown-seconds 0 --owner acme",
				body: `{"cooldown_seconds":0,"description":"d","enabled":false,"group_by":"edge_id","include_label_ids":["scream","glass"],` +
					`"include_mic_ids":["mic-1"],"min_events":3,"name":"screams","owner":"acme","window_seconds":30}`},
			{args: "--name n --group-by device", err: `invalid value "device" for --group-by: want label_id, mic_id or edge_id`},
			{args: "--name n --window-seconds 0", err: "--window-seconds must be at least 1, got 0"},
			{args: "--name n --min-events -2", err: "--min-events must be at least 1"},
			{args: "--name n --cooldown-seconds -1", err: "--cooldown-seconds must be at least 0"},
			{args: "--name n --window-seconds 30s", err: `invalid argument "30s"`},
		},
		required: "--name is required",
		verb:     "delete", past: "Deleted",
	},
	{
		noun: "keys", cmd: keys.Command.New, path: "/api/v1/keys", kind: "API key", id: "k1",
		item:      `{"id":"k1","name":"edge","owner":"acme","scopes":["events:read","device:read"],"created_at":"2026-11-23T10:00:00Z"}`,
		getLine:   "k1\tedge\tacme\tevents:read,device:read\t\t2026-11-23T10:00:00Z\n", // no expiry: an empty cell
		getTTY:    "SCOPES   events:read,device:read\n",
		listLine:  "k1\tedge\tacme\tevents:read,device:read\t\t2026-11-23T10:00:00Z\n",
		otherFlag: "--sort -created_at",
		query:     "owner=acme",
		create:    "--name edge --scope events:read --owner acme", createBody: `{"name":"edge","owner":"acme","scopes":["events:read"]}`,
		createLine: "k1\tedge\tacme\tevents:read,device:read\t\t2026-11-23T10:00:00Z\t\n", // and the token (none here)
		creates: []flagCase{
			{args: "--name edge --scope events:write --scope events:read", body: `{"name":"edge","scopes":["events:write","events:read"]}`},
			{args: "--name e --scope admin --expires-at 2027-01-02T03:04:05+01:00", body: `{"expires_at":"2027-01-02T02:04:05Z","name":"e","scopes":["admin"]}`},
			{args: "--name e", err: "--scope is required"},
			{args: "--name e --scope root", err: `invalid value "root" for --scope: want admin, events:write, events:read, device:read or analytics:read`},
			{args: "--name e --scope admin --expires-in soon", err: `invalid value "soon" for --expires-in`},
			{args: "--name e --scope admin --expires-in -1h", err: `invalid value "-1h" for --expires-in`},
			{args: "--name e --scope admin --expires-at tomorrow", err: `invalid value "tomorrow" for --expires-at`},
			{args: "--name e --scope admin --expires-in 1h --expires-at 2027-01-01T00:00:00Z", err: "not both"},
		},
		required: "--name and --scope are required",
		verb:     "revoke", past: "Revoked",
	},
}

// gateway is a fake gateway holding the one resource r.id, listed on two
// pages; any other id is missing, and "locked" may not be deleted.
func (r resourceCase) gateway(t *testing.T) *cmdtest.Fake {
	fake := cmdtest.NewFake(t)
	notFound := func(w http.ResponseWriter, id string) {
		cmdtest.Reply(w, 404, `{"error":{"code":"not_found","message":"No `+r.kind+` with id \"`+id+`\"."}}`)
	}
	fake.HandleFunc("GET "+r.path, func(w http.ResponseWriter, req *http.Request) {
		switch {
		case req.URL.Query().Get("page_token") != "":
			cmdtest.Reply(w, 200, `{"items":[{"id":"second"}]}`)
		case req.URL.Query().Get("limit") == "1":
			cmdtest.Reply(w, 200, `{"items":[`+r.item+`],"next_page_token":"p2"}`)
		case req.URL.Query().Get("owner") == "nobody":
			cmdtest.Reply(w, 200, `{"items":[]}`)
		default:
			// Two pages: the command follows next_page_token.
			cmdtest.Reply(w, 200, `{"items":[`+r.item+`],"next_page_token":"p2"}`)
		}
	})
	for _, method := range []string{"GET", "PATCH"} {
		fake.HandleFunc(method+" "+r.path+"/{id}", func(w http.ResponseWriter, req *http.Request) {
			if id := strings.TrimPrefix(req.URL.Path, r.path+"/"); id != r.id {
				notFound(w, id)
				return
			}
			cmdtest.Reply(w, 200, r.item)
		})
	}
	fake.HandleFunc("POST "+r.path, func(w http.ResponseWriter, req *http.Request) {
		switch req.Header.Get("Authorization") {
		case "Bearer bad":
			cmdtest.Reply(w, 401, `{"error":{"code":"unauthorized","message":"Invalid token."}}`)
		case "Bearer reader":
			cmdtest.Reply(w, 403, `{"error":{"code":"forbidden","message":"This key lacks the admin scope."}}`)
		case "Bearer one":
			cmdtest.Reply(w, 400, `{"error":{"code":"validation_failed","message":"Field \"name\" is too long.","details":[{"index":0,"field":"name","reason":"is too long"}]}}`)
		case "Bearer two":
			cmdtest.Reply(w, 400, `{"error":{"code":"validation_failed","message":"The `+r.kind+` is invalid.","details":[{"index":0,"field":"name","reason":"is too long"},{"index":0,"field":"owner","reason":"is unknown"}]}}`)
		default:
			cmdtest.Reply(w, 201, r.item)
		}
	})
	fake.HandleFunc("DELETE "+r.path+"/{id}", func(w http.ResponseWriter, req *http.Request) {
		switch id := strings.TrimPrefix(req.URL.Path, r.path+"/"); {
		case id == "locked":
			cmdtest.Reply(w, 403, `{"error":{"code":"forbidden","message":"This key lacks the admin scope."}}`)
		case strings.HasPrefix(id, "missing"):
			notFound(w, id)
		default:
			w.WriteHeader(204)
		}
	})
	return fake
}

// run runs `evtctl <noun> args` against fake with the factory's globals
// set by global ("-q", "-o json", "tty"); "" in args is one empty value.
func (r resourceCase) run(fake *cmdtest.Fake, global string, stdin string, args string) (*cmdtest.Streams, error) {
	f, s := cmdtest.Factory(fake.URL, "tok")
	switch global {
	case "-q":
		f.Globals.Quiet = true
	case "tty":
		s.IO.SetStdinTTY(true)
		s.IO.SetStdoutTTY(true)
		s.IO.SetStderrTTY(true)
	case "":
	default:
		f.Globals.Output = strings.TrimPrefix(global, "-o ")
	}
	s.In.WriteString(stdin)
	argv := strings.Fields(args)
	for i, a := range argv {
		if a == `""` {
			argv[i] = "" // one empty value
		}
	}
	return s, cmdtest.Run(r.cmd(f), argv...)
}

func wantUsage(t *testing.T, what string, err error, part string) {
	t.Helper()
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), part) {
		t.Errorf("%s: err = %v (exit %d), want a usage error with %q", what, err, cmdutil.ExitCode(err), part)
	}
}

func TestCreate(t *testing.T) {
	for _, r := range resources {
		t.Run(r.noun, func(t *testing.T) {
			fake := r.gateway(t)
			// Only the flags given, as the API's fields; the answer as the detail table.
			s, err := r.run(fake, "", "", "create "+r.create)
			want := r.createLine
			if want == "" {
				want = r.getLine
			}
			req := fake.Last(t)
			if err != nil || s.Out.String() != want || s.ErrOut.Len() != 0 {
				t.Errorf("create: err %v, stdout %q, stderr %q, want %q", err, s.Out, s.ErrOut, want)
			}
			if req.Method != "POST" || req.Path != r.path || string(req.Body) != r.createBody ||
				req.Auth != "Bearer tok" || req.ContentType != "application/json" {
				t.Errorf("request %+v, want body %s", req, r.createBody)
			}
			// -q: the id; -o json: the gateway's answer as sent.
			if s, err = r.run(fake, "-q", "", "create "+r.create); err != nil || s.Out.String() != r.id+"\n" {
				t.Errorf("-q: err %v, stdout %q", err, s.Out)
			}
			if s, err = r.run(fake, "-o json", "", "create "+r.create); err != nil || strings.Join(strings.Fields(s.Out.String()), "") != r.item {
				t.Errorf("-o json: err %v, stdout %s", err, s.Out)
			}

			// The gateway's refusals: its sentence (one detail only repeats
			// it; several are listed without "record 0") and exit code.
			for token, wantErr := range map[string]string{
				"bad":    "Invalid token.",
				"reader": "This key lacks the admin scope.",
				"one":    `Field "name" is too long.`,
				"two":    "The " + r.kind + " is invalid.\nname: is too long\nowner: is unknown",
			} {
				f, s := cmdtest.Factory(fake.URL, token)
				err := cmdtest.Run(r.cmd(f), append([]string{"create"}, strings.Fields(r.create)...)...)
				code := cmdutil.ExitFailure
				if token == "bad" || token == "reader" {
					code = cmdutil.ExitUnauthorized
				}
				if err == nil || err.Error() != wantErr || cmdutil.ExitCode(err) != code || s.Out.Len() != 0 {
					t.Errorf("token %s: err %q (exit %d), stdout %q; want %q (exit %d)", token, err, cmdutil.ExitCode(err), s.Out, wantErr, code)
				}
			}
			// Nobody listening: exit 1, a sentence naming the server.
			f, _ := cmdtest.Factory("http://127.0.0.1:1", "tok")
			err = cmdtest.Run(r.cmd(f), append([]string{"create"}, strings.Fields(r.create)...)...)
			if cmdutil.ExitCode(err) != cmdutil.ExitFailure || !strings.Contains(err.Error(), "cannot reach the gateway at http://127.0.0.1:1") {
				t.Errorf("unreachable: err = %v", err)
			}

			r.runFlagCases(t, fake, "POST", "create", r.creates)

			n := len(fake.Requests())
			_, err = r.run(fake, "", "", "create")
			wantUsage(t, "no flags", err, r.required)
			_, err = r.run(fake, "", "", "create "+r.create+" extra")
			wantUsage(t, "positional", err, `takes no arguments (got "extra")`)
			_, err = r.run(fake, "", "", "create "+r.create+" --colour red")
			wantUsage(t, "unknown flag", err, "unknown flag: --colour")
			if len(fake.Requests()) != n {
				t.Error("a usage error sent a request")
			}
		})
	}
}

func TestGet(t *testing.T) {
	for _, r := range resources {
		t.Run(r.noun, func(t *testing.T) {
			fake := r.gateway(t)
			s, err := r.run(fake, "", "", "get "+r.id)
			if err != nil || s.Out.String() != r.getLine {
				t.Errorf("get: err %v, stdout %q, want %q", err, s.Out, r.getLine)
			}
			// -o json and -o yaml are the gateway's answer as sent.
			if s, err = r.run(fake, "-o json", "", "get "+r.id); err != nil || strings.Join(strings.Fields(s.Out.String()), "") != r.item {
				t.Errorf("-o json: err %v, stdout %s", err, s.Out)
			}
			if s, err = r.run(fake, "-o yaml", "", "get "+r.id); err != nil || !strings.HasPrefix(s.Out.String(), "id: "+r.id+"\n") {
				t.Errorf("-o yaml: err %v, stdout %s", err, s.Out)
			}
			// On a terminal: one aligned line per field.
			if s, err = r.run(fake, "tty", "", "get "+r.id); err != nil || !strings.Contains(s.Out.String(), r.getTTY) {
				t.Errorf("tty: err %v, stdout\n%s", err, s.Out)
			}
			// A missing id: exit 3 and the gateway's sentence.
			_, err = r.run(fake, "", "", "get nope")
			if cmdutil.ExitCode(err) != cmdutil.ExitNotFound || err.Error() != `No `+r.kind+` with id "nope".` {
				t.Errorf("missing: err = %v (exit %d)", err, cmdutil.ExitCode(err))
			}
			// PathEscape keeps a slash inside one segment on the wire.
			_, _ = r.run(fake, "", "", "get a/b")
			if p := fake.Last(t).EscapedPath; p != r.path+"/a%2Fb" {
				t.Errorf("path = %q", p)
			}
			n := len(fake.Requests())
			_, err = r.run(fake, "", "", "get")
			wantUsage(t, "no id", err, "give the id of the "+r.kind+" (see '"+r.noun+" list')")
			_, err = r.run(fake, "", "", "get a b")
			wantUsage(t, "two ids", err, "takes one "+r.kind+" id, got 2 arguments")
			if len(fake.Requests()) != n {
				t.Error("a usage error sent a request")
			}
		})
	}
}

func TestList(t *testing.T) {
	for _, r := range resources {
		t.Run(r.noun, func(t *testing.T) {
			fake := r.gateway(t)
			// Every page, in order.
			s, err := r.run(fake, "", "", "list")
			if err != nil || !strings.HasPrefix(s.Out.String(), r.listLine) || !strings.Contains(s.Out.String(), "\nsecond\t") {
				t.Errorf("list: err %v, stdout %q, want first %q", err, s.Out, r.listLine)
			}
			if reqs := fake.Requests(); len(reqs) != 2 || reqs[0].RawQuery != "" || reqs[1].RawQuery != "page_token=p2" {
				t.Errorf("requests = %+v", reqs)
			}
			// --jq: over the whole list, strings raw.
			f, st := cmdtest.Factory(fake.URL, "tok")
			f.Globals.JQ = "map(.id) | join(\",\")"
			if err := cmdutil.CheckJQ(f, false); err != nil {
				t.Fatal(err)
			}
			if err := cmdtest.Run(r.cmd(f), "list"); err != nil || st.Out.String() != r.id+",second\n" {
				t.Errorf("--jq: err %v, stdout %q", err, st.Out)
			}
			// -q: ids only; ls is list.
			if s, err = r.run(fake, "-q", "", "ls"); err != nil || s.Out.String() != r.id+"\nsecond\n" {
				t.Errorf("-q: err %v, stdout %q", err, s.Out)
			}
			// --limit stops early.
			if s, err = r.run(fake, "-q", "", "list --limit 1"); err != nil || s.Out.String() != r.id+"\n" || fake.Last(t).RawQuery != "limit=1" {
				t.Errorf("--limit 1: err %v, stdout %q, query %q", err, s.Out, fake.Last(t).RawQuery)
			}
			// The flags make the query.
			args := "list --owner acme " + r.narrow
			if r.sorts {
				args += " --id x --sort -created_at"
			}
			if _, err = r.run(fake, "-q", "", args); err != nil || fake.Requests()[len(fake.Requests())-2].RawQuery != r.query {
				t.Errorf("%s: err %v, query %q, want %q", args, err, fake.Requests()[len(fake.Requests())-2].RawQuery, r.query)
			}
			// An empty list on a terminal says so on stderr.
			if s, err = r.run(fake, "tty", "", "list --owner nobody"); err != nil || s.Out.Len() != 0 || s.ErrOut.String() != "No results.\n" {
				t.Errorf("empty: err %v, stdout %q, stderr %q", err, s.Out, s.ErrOut)
			}

			n := len(fake.Requests())
			for args, part := range map[string]string{
				"list --limit -1":     "--limit must be 0",
				"list --limit many":   "invalid argument",
				"list acme":           "takes no arguments",
				"list " + r.otherFlag: "unknown flag",
			} {
				_, err := r.run(fake, "", "", args)
				wantUsage(t, args, err, part)
			}
			if r.sorts {
				_, err := r.run(fake, "", "", "list --sort name")
				wantUsage(t, "--sort name", err, `invalid value "name" for --sort: want created_at, -created_at, updated_at or -updated_at`)
			}
			if r.noun == "endpoints" {
				_, err := r.run(fake, "", "", "list --type x")
				wantUsage(t, "--type x", err, `invalid value "x" for --type`)
			}
			if len(fake.Requests()) != n {
				t.Error("a usage error sent a request")
			}
		})
	}
}

// runFlagCases runs `verb cases[i].args` with -q: a request with the body
// the case wants and the id printed, or the usage error it wants and no
// request.
func (r resourceCase) runFlagCases(t *testing.T, fake *cmdtest.Fake, method, verb string, cases []flagCase) {
	t.Helper()
	for _, c := range cases {
		n := len(fake.Requests())
		args := verb + " " + c.args
		s, err := r.run(fake, "-q", "", args)
		if c.err != "" {
			wantUsage(t, args, err, c.err)
			if len(fake.Requests()) != n {
				t.Errorf("%s: a usage error sent a request", args)
			}
			continue
		}
		req := fake.Last(t)
		if err != nil || req.Method != method || string(req.Body) != c.body || s.Out.String() != r.id+"\n" {
			t.Errorf("%s: err %v, request %s %s, stdout %q; want body %s", args, err, req.Method, req.Body, s.Out, c.body)
		}
	}
}

func TestUpdate(t *testing.T) {
	for _, r := range resources {
		if r.updates == nil {
			continue
		}
		t.Run(r.noun, func(t *testing.T) {
			fake := r.gateway(t)
			r.runFlagCases(t, fake, "PATCH", "update "+r.id, r.updates)
			// A missing id: exit 3.
			if _, err := r.run(fake, "", "", "update nope "+r.updates[0].args); cmdutil.ExitCode(err) != cmdutil.ExitNotFound {
				t.Errorf("missing: err = %v", err)
			}
			_, err := r.run(fake, "", "", "update "+r.updates[0].args)
			wantUsage(t, "no id", err, "give the id of the "+r.kind)
		})
	}
}

func TestDelete(t *testing.T) {
	for _, r := range resources {
		t.Run(r.noun, func(t *testing.T) {
			fake := r.gateway(t)
			deletes := func() int {
				n := 0
				for _, req := range fake.Requests() {
					if req.Method == "DELETE" {
						n++
					}
				}
				return n
			}
			Past, Kind := r.past, r.kind

			// Not a terminal: no question, nothing printed.
			s, err := r.run(fake, "", "", r.verb+" a")
			if err != nil || s.Out.Len() != 0 || s.ErrOut.Len() != 0 || deletes() != 1 || fake.Last(t).Path != r.path+"/a" {
				t.Fatalf("err %v, stdout %q, stderr %q, deletes %d", err, s.Out, s.ErrOut, deletes())
			}

			// A terminal and "n": asked, nothing deleted, exit 1.
			s, err = r.run(fake, "tty", "n\n", r.verb+" a b")
			question := strings.ToUpper(r.verb[:1]) + r.verb[1:] + " 2 " + Kind + "s (a, b)? [y/N] "
			if cmdutil.ExitCode(err) != 1 || deletes() != 1 || s.ErrOut.String() != question {
				t.Fatalf("no: err %v, stderr %q, deletes %d", err, s.ErrOut, deletes())
			}
			// End of input counts as no.
			if _, err = r.run(fake, "tty", "", r.verb+" a"); cmdutil.ExitCode(err) != 1 || deletes() != 1 {
				t.Fatalf("EOF: err %v, deletes %d", err, deletes())
			}

			// A terminal and "y": deleted, reported.
			s, err = r.run(fake, "tty", "yes\n", r.verb+" a b")
			if err != nil || deletes() != 3 || s.Out.String() != Past+" "+Kind+" a.\n"+Past+" "+Kind+" b.\n" {
				t.Fatalf("yes: err %v, stdout %q, deletes %d", err, s.Out, deletes())
			}

			// --yes on a terminal: not asked; -q prints the ids.
			f, st := cmdtest.Factory(fake.URL, "tok")
			f.Globals.Quiet = true
			st.IO.SetStdinTTY(true)
			st.IO.SetStderrTTY(true)
			if err = cmdtest.Run(r.cmd(f), r.verb, "b", "--yes"); err != nil || st.ErrOut.Len() != 0 || st.Out.String() != "b\n" {
				t.Fatalf("--yes -q: err %v, stdout %q, stderr %q", err, st.Out, st.ErrOut)
			}

			// -o json: what was done, as a list; --jq over it.
			f, st = cmdtest.Factory(fake.URL, "tok")
			f.Globals.Output = cmdutil.OutputJSON
			want := "[\n  {\n    \"id\": \"a\",\n    \"" + r.verb + "d\": true\n  }\n]\n"
			if err = cmdtest.Run(r.cmd(f), r.verb, "a"); err != nil || st.Out.String() != want {
				t.Fatalf("-o json: err %v, stdout %q", err, st.Out)
			}
			f, st = cmdtest.Factory(fake.URL, "tok")
			f.Globals.JQ = ".[].id"
			if err = cmdutil.CheckJQ(f, false); err != nil {
				t.Fatal(err)
			}
			if err = cmdtest.Run(r.cmd(f), r.verb, "a", "b"); err != nil || st.Out.String() != "a\nb\n" {
				t.Fatalf("--jq: err %v, stdout %q", err, st.Out)
			}

			// A missing id stops the run: exit 3, and the sentence says what was done.
			_, err = r.run(fake, "", "", r.verb+" a missing-1 b")
			if cmdutil.ExitCode(err) != cmdutil.ExitNotFound || !strings.Contains(err.Error(), "The 1 "+Kind+"(s) before missing-1 were "+r.verb+"d.") {
				t.Fatalf("missing: err %v", err)
			}
			if last := fake.Last(t); last.Path != r.path+"/missing-1" {
				t.Errorf("went on after the failure: %s", last.Path)
			}
			// Not an admin: exit 4.
			if _, err = r.run(fake, "", "", r.verb+" locked"); cmdutil.ExitCode(err) != cmdutil.ExitUnauthorized {
				t.Errorf("forbidden: err = %v", err)
			}

			n := len(fake.Requests())
			_, err = r.run(fake, "", "", r.verb)
			wantUsage(t, "no id", err, "give the id of the "+Kind)
			if len(fake.Requests()) != n {
				t.Error("a usage error sent a request")
			}
		})
	}
}
