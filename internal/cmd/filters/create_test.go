package filters

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdCreateFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    resource.Body
		wantErr string
	}{
		{args: []string{"--endpoint", "ep_1"}, want: resource.Body{"endpoint_id": "ep_1"}},
		// Repeatable singular flags build the API's lists, in order.
		{args: []string{"--endpoint", "ep_1", "--name", "lobby", "--device-id", "cam-1", "--device-id", "cam,2",
			"--agent-id", "edge-1", "--watchlist-id", "wl-9", "--event-type", "glass_break"},
			want: resource.Body{"endpoint_id": "ep_1", "name": "lobby", "device_ids": []string{"cam-1", "cam,2"},
				"agent_ids": []string{"edge-1"}, "watchlist_ids": []string{"wl-9"}, "event_types": []string{"glass_break"}}},
		// A filter belongs to its endpoint's tenant.
		{args: []string{"--endpoint", "ep_1", "--owner", "acme"}, wantErr: "unknown flag: --owner"},
		{args: []string{"--name", "x"}, wantErr: "--endpoint is required"},
	}
	for _, tt := range tests {
		fake := cmdtest.NewFake(t)
		fake.Handle("POST /api/v1/event-filters", 201, `{"id":"flt_1"}`)
		f, _ := cmdtest.Factory(fake.URL, "tok")
		err := cmdtest.Run(newCmdCreate(f), tt.args...)
		if tt.wantErr != "" {
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tt.wantErr) || len(fake.Requests()) != 0 {
				t.Errorf("%v: err = %v", tt.args, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := json.Marshal(tt.want); string(fake.Last(t).Body) != string(want) {
			t.Errorf("%v: body = %s\nwant %s", tt.args, fake.Last(t).Body, want)
		}
	}
}

func TestCreateRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("POST /api/v1/event-filters", 201, `{"id":"flt_1","owner":"acme","name":"lobby","endpoint_id":"ep_1","device_ids":["cam-1","cam-2"],"agent_ids":[],"watchlist_ids":[],"event_types":["glass_break"],"created_at":"2026-11-23T10:00:00Z","updated_at":"2026-11-23T10:00:00Z"}`)
	f, s := cmdtest.Factory(fake.URL, "tok")
	if err := cmdtest.Run(newCmdCreate(f), "--endpoint", "ep_1", "--device-id", "cam-1", "--device-id", "cam-2"); err != nil {
		t.Fatal(err)
	}
	want := "flt_1\tlobby\tep_1\tcam-1,cam-2\t\t\tglass_break\t2026-11-23T10:00:00Z\tacme\t2026-11-23T10:00:00Z\n"
	if s.Out.String() != want {
		t.Errorf("stdout %q\nwant   %q", s.Out, want)
	}
	if body := string(fake.Last(t).Body); body != `{"device_ids":["cam-1","cam-2"],"endpoint_id":"ep_1"}` {
		t.Errorf("body = %s", body)
	}

	// Several validation problems: one line per field, no "record 0".
	fake2 := cmdtest.NewFake(t)
	fake2.Handle("POST /api/v1/event-filters", 400, `{"error":{"code":"validation_failed","message":"The filter is invalid.","details":[{"index":0,"field":"endpoint_id","reason":"names no endpoint"},{"index":0,"field":"device_ids[1]","reason":"is empty"}]}}`)
	f, _ = cmdtest.Factory(fake2.URL, "tok")
	err := cmdtest.Run(newCmdCreate(f), "--endpoint", "ep_1", "--device-id", "cam-1", "--device-id", "")
	if want := "The filter is invalid.\nendpoint_id: names no endpoint\ndevice_ids[1]: is empty"; err == nil || err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}
