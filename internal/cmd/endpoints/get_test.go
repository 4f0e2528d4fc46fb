package get

import (
	"context"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdGetArgs(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{args: []string{"ep_1"}},
		{args: nil, wantErr: "give the id of the endpoint"},
		{args: []string{"a", "b"}, wantErr: "takes one endpoint id, got 2 arguments"},
	} {
		f, _ := cmdtest.Factory("", "")
		var got *GetOptions
		err := cmdtest.Run(NewCmdGet(f, func(o *GetOptions) error { got = o; return nil }), tt.args...)
		if tt.wantErr != "" {
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err = %v", tt.args, err)
			}
			continue
		}
		if err != nil || got.ID != "ep_1" {
			t.Errorf("err = %v, opts = %+v", err, got)
		}
	}
}

func TestGetRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("GET /api/v1/endpoints/ep_1", 200, `{"id":"ep_1","owner":"acme","name":"wall","type":"websocket","enabled":true,"created_at":"2026-11-23T10:00:00Z","updated_at":"2026-11-23T11:00:00Z"}`)
	fake.Handle("GET /api/v1/endpoints/{id}", 404, `{"error":{"code":"not_found","message":"No endpoint with id \"nope\"."}}`)

	f, s := cmdtest.Factory(fake.URL, "tok")
	f.Globals.Output = "yaml"
	opts := &GetOptions{Factory: f, Client: f.APIClient, ID: "ep_1"}
	if err := getRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	want := "id: ep_1\nowner: acme\nname: wall\ntype: websocket\nenabled: true\ncreated_at: \"2026-11-23T10:00:00Z\"\nupdated_at: \"2026-11-23T11:00:00Z\"\n"
	if s.Out.String() != want {
		t.Errorf("stdout:\n%s\nwant\n%s", s.Out, want)
	}

	// On a terminal: one aligned line per field.
	f, s = cmdtest.Factory(fake.URL, "tok")
	s.IO.SetStdoutTTY(true)
	opts = &GetOptions{Factory: f, Client: f.APIClient, ID: "ep_1"}
	if err := getRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Out.String(), "NAME             wall\n") || !strings.Contains(s.Out.String(), "OWNER            acme\n") {
		t.Errorf("tty stdout:\n%s", s.Out)
	}

	// A missing id: exit 3 and the gateway's sentence; the id is escaped in the path.
	opts.ID = "nope"
	err := getRun(context.Background(), opts)
	if cmdutil.ExitCode(err) != cmdutil.ExitNotFound || err.Error() != `No endpoint with id "nope".` {
		t.Errorf("err = %v (exit %d)", err, cmdutil.ExitCode(err))
	}
	opts.ID = "a/b"
	_ = getRun(context.Background(), opts)
	// PathEscape keeps the slash inside one segment on the wire.
	if p := fake.Last(t).EscapedPath; p != "/api/v1/endpoints/a%2Fb" {
		t.Errorf("path = %q", p)
	}
}
