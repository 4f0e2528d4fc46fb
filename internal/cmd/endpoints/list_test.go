package list

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdListFlags(t *testing.T) {
	f, _ := cmdtest.Factory("", "")
	var got *ListOptions
	err := cmdtest.Run(NewCmdList(f, func(o *ListOptions) error { got = o; return nil }),
		"--id", "a", "--id", "b", "--type", "webhook", "--sort", "-created_at", "--limit", "5")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.IDs, []string{"a", "b"}) || got.Narrow["type"] != "webhook" || got.Sort != "-created_at" || got.Limit != 5 {
		t.Errorf("opts = %+v", got)
	}
	for args, wantErr := range map[string]string{
		"--type x":     `invalid value "x" for --type`,
		"--sort name":  `invalid value "name" for --sort: want created_at, -created_at, updated_at or -updated_at`,
		"--limit -1":   "--limit must be 0",
		"--limit many": "invalid argument",
	} {
		f, _ := cmdtest.Factory("", "")
		err := cmdtest.Run(NewCmdList(f, func(o *ListOptions) error { return nil }), strings.Fields(args)...)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s: err = %v", args, err)
		}
	}
}

func TestListRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.HandleFunc("GET /api/v1/endpoints", func(w http.ResponseWriter, r *http.Request) {
		// Two pages: the command follows next_page_token.
		if r.URL.Query().Get("page_token") == "" {
			cmdtest.Reply(w, 200, `{"items":[{"id":"ep_1","name":"a","type":"webhook","url":"https://x.example","enabled":true,"created_at":"2026-11-23T10:00:00Z"}],"next_page_token":"p2"}`)
			return
		}
		cmdtest.Reply(w, 200, `{"items":[{"id":"ep_2","name":"b","type":"websocket","enabled":false,"created_at":"2026-11-23T11:00:00Z"}]}`)
	})
	f, s := cmdtest.Factory(fake.URL, "tok")
	opts := &ListOptions{Factory: f, Client: f.APIClient,
		IDs: []string{"ep_1", "ep_2"}, Narrow: map[string]string{"type": "webhook"}, Sort: "-created_at"}
	if err := listRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	want := "ep_1\ta\twebhook\ttrue\thttps://x.example\t2026-11-23T10:00:00Z\n" +
		"ep_2\tb\twebsocket\tfalse\t\t2026-11-23T11:00:00Z\n"
	if s.Out.String() != want {
		t.Errorf("stdout:\n%q\nwant\n%q", s.Out, want)
	}
	reqs := fake.Requests()
	if len(reqs) != 2 || reqs[0].RawQuery != "id=ep_1&id=ep_2&sort=-created_at&type=webhook" ||
		reqs[1].RawQuery != "id=ep_1&id=ep_2&page_token=p2&sort=-created_at&type=webhook" {
		t.Errorf("requests = %+v", reqs)
	}

	// -q: ids only; --limit stops early.
	f, s = cmdtest.Factory(fake.URL, "tok")
	f.Globals.Quiet = true
	opts = &ListOptions{Factory: f, Client: f.APIClient, Limit: 1}
	if err := listRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if s.Out.String() != "ep_1\n" || fake.Last(t).RawQuery != "limit=1" {
		t.Errorf("stdout %q, query %q", s.Out, fake.Last(t).RawQuery)
	}
}
