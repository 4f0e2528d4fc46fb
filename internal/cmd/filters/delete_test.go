package delete

import (
	"context"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestDelete(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("DELETE /api/v1/event-filters/flt_1", 204, "")
	f, s := cmdtest.Factory(fake.URL, "tok")
	var got *DeleteOptions
	if err := cmdtest.Run(NewCmdDelete(f, func(o *DeleteOptions) error { got = o; return nil }), "flt_1", "-y"); err != nil || !got.Yes {
		t.Fatalf("err %v, opts %+v", err, got)
	}
	if err := deleteRun(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	if r := fake.Last(t); r.Method != "DELETE" || r.Path != "/api/v1/event-filters/flt_1" || s.Out.Len() != 0 {
		t.Errorf("request %s %s, stdout %q", r.Method, r.Path, s.Out)
	}
	got.IDs = []string{"flt_2"}
	got.Client = f.APIClient
	if err := deleteRun(context.Background(), got); cmdutil.ExitCode(err) != cmdutil.ExitNotFound {
		t.Errorf("missing: err = %v", err)
	}
}
