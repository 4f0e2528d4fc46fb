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
		args    []string
		want    cmdhelp.Body
		wantErr string
	}{
		{args: []string{"rule_1", "--enabled=false"}, want: cmdhelp.Body{"enabled": false}},
		{args: []string{"rule_1", "--include-mic-id", ""}, want: cmdhelp.Body{"include_mic_ids": []string{}}},
		{args: []string{"rule_1", "--window-seconds", "60", "--min-events", "5"}, want: cmdhelp.Body{"window_seconds": 60, "min_events": 5}},
		{args: []string{"rule_1", "--min-events", "0"}, wantErr: "--min-events must be at least 1"},
		{args: []string{"rule_1"}, wantErr: "nothing to update: set at least one of --name, --description, --window-seconds"},
	}
	for _, tt := range tests {
		f, _ := cmdtest.Factory("", "")
		var got *UpdateOptions
		err := cmdtest.Run(NewCmdUpdate(f, func(o *UpdateOptions) error { got = o; return nil }), tt.args...)
		if tt.wantErr != "" {
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err = %v", tt.args, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "rule_1" || !reflect.DeepEqual(got.Body, tt.want) {
			t.Errorf("%v: opts = %+v", tt.args, got)
		}
	}
}

func TestUpdateRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("PATCH /api/v1/rules/rule_1", 200, `{"id":"rule_1","enabled":false}`)
	fake.Handle("PATCH /api/v1/rules/{id}", 404, `{"error":{"code":"not_found","message":"No rule with id \"r\"."}}`)
	f, s := cmdtest.Factory(fake.URL, "tok")
	f.Globals.Quiet = true
	opts := &UpdateOptions{Factory: f, Client: f.APIClient,
		ID: "rule_1", Body: cmdhelp.Body{"enabled": false}}
	if err := updateRun(context.Background(), opts); err != nil || s.Out.String() != "rule_1\n" {
		t.Fatalf("err %v, stdout %q", err, s.Out)
	}
	opts.ID = "r"
	if err := updateRun(context.Background(), opts); cmdutil.ExitCode(err) != cmdutil.ExitNotFound {
		t.Errorf("err = %v", err)
	}
}
