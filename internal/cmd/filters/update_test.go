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
		{args: []string{"flt_1", "--device-id", "a", "--device-id", "b"}, want: cmdhelp.Body{"device_ids": []string{"a", "b"}}},
		// One empty value clears the list.
		{args: []string{"flt_1", "--event-type", ""}, want: cmdhelp.Body{"event_types": []string{}}},
		{args: []string{"flt_1", "--endpoint", "ep_2"}, want: cmdhelp.Body{"endpoint_id": "ep_2"}},
		{args: []string{"flt_1"}, wantErr: "nothing to update"},
		{args: []string{"flt_1", "--owner", "x"}, wantErr: "unknown flag: --owner"},
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
		if got.ID != "flt_1" || !reflect.DeepEqual(got.Body, tt.want) {
			t.Errorf("%v: opts = %+v", tt.args, got)
		}
	}
}

func TestUpdateRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("PATCH /api/v1/event-filters/flt_1", 200, `{"id":"flt_1","endpoint_id":"ep_1","event_types":[]}`)
	f, s := cmdtest.Factory(fake.URL, "tok")
	f.Globals.Output = "json"
	opts := &UpdateOptions{Factory: f, Client: f.APIClient,
		ID: "flt_1", Body: cmdhelp.Body{"event_types": []string{}}}
	if err := updateRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if got := string(fake.Last(t).Body); got != `{"event_types":[]}` {
		t.Errorf("body = %s", got)
	}
	if !strings.Contains(s.Out.String(), `"event_types": []`) {
		t.Errorf("stdout = %s", s.Out)
	}
}
