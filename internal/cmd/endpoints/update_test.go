package update

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp"
	"github.com/evtctl/evtctl/internal/cmd/cmdhelp/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdUpdateFlags(t *testing.T) {
	tests := []struct {
		args    string
		want    cmdhelp.Body
		wantErr string
	}{
		// Only the flags given; --enabled's default (true) is not sent.
		{args: "ep_1 --url https://new.example", want: cmdhelp.Body{"url": "https://new.example"}},
		{args: "ep_1 --enabled=false --name n", want: cmdhelp.Body{"enabled": false, "name": "n"}},
		{args: "ep_1 --secret ''", want: cmdhelp.Body{"secret": "''"}},
		{args: "ep_1", wantErr: "nothing to update: set at least one of --name, --url, --secret, --enabled"},
		{args: "--name n", wantErr: "give the id of the endpoint"},
		// The type is set once, at creation.
		{args: "ep_1 --type webhook", wantErr: "unknown flag: --type"},
	}
	for _, tt := range tests {
		f, _ := cmdtest.Factory("", "")
		var got *UpdateOptions
		err := cmdtest.Run(NewCmdUpdate(f, func(o *UpdateOptions) error { got = o; return nil }), strings.Fields(tt.args)...)
		if tt.wantErr != "" {
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v", tt.args, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.args, err)
		}
		if got.ID != "ep_1" || !reflect.DeepEqual(got.Body, tt.want) {
			t.Errorf("%s: opts = %+v", tt.args, got)
		}
	}
}

func TestUpdateRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("PATCH /api/v1/endpoints/ep_1", 200, `{"id":"ep_1","name":"wall","type":"websocket","enabled":false}`)
	fake.Handle("PATCH /api/v1/endpoints/{id}", 404, `{"error":{"code":"not_found","message":"No endpoint with id \"ep_9\"."}}`)

	f, s := cmdtest.Factory(fake.URL, "tok")
	f.Globals.Output = "id"
	opts := &UpdateOptions{Factory: f, Client: f.APIClient,
		ID: "ep_1", Body: cmdhelp.Body{"enabled": false}}
	if err := updateRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if s.Out.String() != "ep_1\n" {
		t.Errorf("stdout %q", s.Out)
	}
	req := fake.Last(t)
	if req.Method != "PATCH" || string(req.Body) != `{"enabled":false}` {
		t.Errorf("request %s %s", req.Method, req.Body)
	}
	opts.ID = "ep_9"
	if err := updateRun(context.Background(), opts); cmdutil.ExitCode(err) != cmdutil.ExitNotFound {
		t.Errorf("err = %v", err)
	}
}
