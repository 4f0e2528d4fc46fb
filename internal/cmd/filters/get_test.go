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
	if err := cmdtest.Run(NewCmdGet(f, func(o *GetOptions) error { got = o; return nil }), "flt_1"); err != nil || got.ID != "flt_1" {
		t.Fatalf("err %v, opts %+v", err, got)
	}
	if err := cmdtest.Run(NewCmdGet(f, func(o *GetOptions) error { return nil })); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("no id: err = %v", err)
	}
}

func TestGetRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("GET /api/v1/event-filters/flt_1", 200, `{"id":"flt_1","name":"lobby","endpoint_id":"ep_1","device_ids":["cam-1"]}`)
	fake.Handle("GET /api/v1/event-filters/{id}", 404, `{"error":{"code":"not_found","message":"No event filter with id \"x\"."}}`)
	f, s := cmdtest.Factory(fake.URL, "tok")
	opts := &GetOptions{Factory: f, Client: f.APIClient, ID: "flt_1"}
	if err := getRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if want := "flt_1\tlobby\tep_1\tcam-1\t\t\t\t\t\t\n"; s.Out.String() != want {
		t.Errorf("stdout %q, want %q", s.Out, want)
	}
	opts.ID = "x"
	if err := getRun(context.Background(), opts); cmdutil.ExitCode(err) != cmdutil.ExitNotFound || err.Error() != `No event filter with id "x".` {
		t.Errorf("err = %v", err)
	}
}
