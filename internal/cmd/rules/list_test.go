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
	if err := cmdtest.Run(NewCmdList(f, func(o *ListOptions) error { got = o; return nil }), "--sort", "-updated_at", "--id", "rule_1"); err != nil {
		t.Fatal(err)
	}
	if got.Sort != "-updated_at" || len(got.IDs) != 1 {
		t.Errorf("opts = %+v", got)
	}
	err := cmdtest.Run(NewCmdList(f, func(o *ListOptions) error { return nil }), "--type", "webhook")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("--type: err = %v", err)
	}
}

func TestListRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("GET /api/v1/rules", 200, `{"items":[{"id":"rule_1","endpoint_id":"ep_1"},{"id":"rule_2","endpoint_id":"ep_1"}]}`)
	f, s := cmdtest.Factory(fake.URL, "tok")
	f.Globals.Output = "id"
	opts := &ListOptions{Factory: f, Client: f.APIClient, Sort: "created_at"}
	if err := listRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if s.Out.String() != "rule_1\nrule_2\n" || fake.Last(t).RawQuery != "sort=created_at" {
		t.Errorf("stdout %q, query %q", s.Out, fake.Last(t).RawQuery)
	}
}
