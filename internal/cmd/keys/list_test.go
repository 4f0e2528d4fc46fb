package list

import (
	"context"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdListFlags(t *testing.T) {
	f, _ := cmdtest.Factory("", "")
	var got *ListOptions
	if err := cmdtest.Run(NewCmdList(f, func(o *ListOptions) error { got = o; return nil }), "--owner", "acme"); err != nil || got.Owner != "acme" {
		t.Fatalf("err %v, opts %+v", err, got)
	}
	if err := cmdtest.Run(NewCmdList(f, func(o *ListOptions) error { return nil }), "acme"); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("positional: err = %v", err)
	}
}

func TestListRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("GET /api/v1/keys", 200, `{"items":[{"id":"k1","name":"a","owner":"acme","scopes":["admin"],"created_at":"2026-11-23T10:00:00Z"},{"id":"k2","name":"b","owner":"acme","scopes":[],"created_at":"2026-11-23T10:00:00Z"}]}`)
	f, s := cmdtest.Factory(fake.URL, "tok")
	opts := &ListOptions{Factory: f, Client: f.APIClient, Owner: "acme"}
	if err := listRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	want := "k1\ta\tacme\tadmin\t\t2026-11-23T10:00:00Z\nk2\tb\tacme\t\t\t2026-11-23T10:00:00Z\n"
	if s.Out.String() != want || fake.Last(t).RawQuery != "owner=acme" {
		t.Errorf("stdout %q, query %q", s.Out, fake.Last(t).RawQuery)
	}

	// An empty list on a terminal says so on stderr.
	empty := cmdtest.NewFake(t)
	empty.Handle("GET /api/v1/keys", 200, `{"items":[]}`)
	f, s = cmdtest.Factory(empty.URL, "tok")
	s.IO.SetStdoutTTY(true)
	opts = &ListOptions{Factory: f, Client: f.APIClient}
	if err := listRun(context.Background(), opts); err != nil || s.Out.Len() != 0 || s.ErrOut.String() != "No results.\n" {
		t.Errorf("err %v, stdout %q, stderr %q", err, s.Out, s.ErrOut)
	}
}
