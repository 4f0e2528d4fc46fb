package get

import (
	"context"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdGetArgs(t *testing.T) {
	f, _ := cmdtest.Factory("", "")
	var got *GetOptions
	if err := cmdtest.Run(NewCmdGet(f, func(o *GetOptions) error { got = o; return nil }), "rule_1"); err != nil || got.ID != "rule_1" {
		t.Fatalf("err %v, opts %+v", err, got)
	}
	if err := cmdtest.Run(NewCmdGet(f, func(o *GetOptions) error { return nil })); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("no id: err = %v", err)
	}
}

func TestGetRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("GET /api/v1/rules/rule_1", 200, `{"id":"rule_1","name":"lobby","window_seconds":30,"min_events":3,"enabled":true,"group_by":"mic_id","include_mic_ids":["m1","m2"],"cooldown_seconds":10}`)
	fake.Handle("GET /api/v1/rules/{id}", 404, `{"error":{"code":"not_found","message":"No rule with id \"x\"."}}`)
	f, s := cmdtest.Factory(fake.URL, "tok")
	opts := &GetOptions{Factory: f, Client: f.APIClient, ID: "rule_1"}
	if err := getRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if want := "rule_1\tlobby\ttrue\t30s\t3\tmic_id\t\tm1,m2\t\t10s\t\t\t\n"; s.Out.String() != want {
		t.Errorf("stdout %q, want %q", s.Out, want)
	}
	opts.ID = "x"
	if err := getRun(context.Background(), opts); cmdutil.ExitCode(err) != cmdutil.ExitNotFound || err.Error() != `No rule with id "x".` {
		t.Errorf("err = %v", err)
	}
}
