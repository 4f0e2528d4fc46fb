package revoke

import (
	"context"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestRevoke(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("DELETE /api/v1/keys/k1", 204, "")
	f, s := cmdtest.Factory(fake.URL, "tok")
	s.IO.SetStdinTTY(true)
	s.IO.SetStderrTTY(true)
	s.IO.SetStdoutTTY(true)
	s.In.WriteString("yes\n")
	var got *RevokeOptions
	if err := cmdtest.Run(NewCmdRevoke(f, func(o *RevokeOptions) error { got = o; return nil }), "k1"); err != nil || got.Yes {
		t.Fatalf("err %v, opts %+v", err, got)
	}
	if err := revokeRun(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	if s.ErrOut.String() != "Revoke API key k1? [y/N] " || s.Out.String() != "Revoked API key k1.\n" {
		t.Errorf("stderr %q, stdout %q", s.ErrOut, s.Out)
	}
	if r := fake.Last(t); r.Method != "DELETE" || r.Path != "/api/v1/keys/k1" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}

	// Not an admin: exit 4.
	deny := cmdtest.NewFake(t)
	deny.Handle("DELETE /api/v1/keys/{id}", 403, `{"error":{"code":"forbidden","message":"This key lacks the admin scope."}}`)
	f, _ = cmdtest.Factory(deny.URL, "tok")
	opts := &RevokeOptions{Factory: f, Client: f.APIClient, IDs: []string{"k1"}}
	if err := revokeRun(context.Background(), opts); cmdutil.ExitCode(err) != cmdutil.ExitUnauthorized {
		t.Errorf("err = %v", err)
	}
}
