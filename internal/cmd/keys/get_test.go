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
		{args: []string{"k1"}},
		{args: nil, wantErr: "give the id of the API key"},
		{args: []string{"a", "b"}, wantErr: "takes one API key id, got 2 arguments"},
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
		if err != nil || got.ID != "k1" {
			t.Errorf("err = %v, opts = %+v", err, got)
		}
	}
}

func TestGetRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("GET /api/v1/keys/k1", 200, `{"id":"k1","name":"edge","owner":"acme","scopes":["events:read","device:read"],"created_at":"2026-11-23T10:00:00Z"}`)
	fake.Handle("GET /api/v1/keys/{id}", 404, `{"error":{"code":"not_found","message":"No API key with id \"nope\"."}}`)

	f, s := cmdtest.Factory(fake.URL, "tok")
	opts := &GetOptions{Factory: f, Client: f.APIClient, ID: "k1"}
	if err := getRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	// No expiry: an empty cell.
	if want := "k1\tedge\tacme\tevents:read,device:read\t\t2026-11-23T10:00:00Z\n"; s.Out.String() != want {
		t.Errorf("stdout %q, want %q", s.Out, want)
	}

	// A missing id: exit 3 and the gateway's sentence; the id is escaped in the path.
	opts.ID = "nope"
	err := getRun(context.Background(), opts)
	if cmdutil.ExitCode(err) != cmdutil.ExitNotFound || err.Error() != `No API key with id "nope".` {
		t.Errorf("err = %v (exit %d)", err, cmdutil.ExitCode(err))
	}
	opts.ID = "a/b"
	_ = getRun(context.Background(), opts)
	// PathEscape keeps the slash inside one segment on the wire.
	if p := fake.Last(t).EscapedPath; p != "/api/v1/keys/a%2Fb" {
		t.Errorf("path = %q", p)
	}
}
