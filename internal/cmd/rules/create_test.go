package rules

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
		args    string
		want    resource.Body
		wantErr string
	}{
		{args: "--name n", want: resource.Body{"name": "n"}},
		{args: "--name screams --description d --window-seconds 30 --min-events 3 --enabled=false --group-by edge_id " +
			"--include-label-id scream --include-label-id glass --include-mic-id mic-1 --cooldown-seconds 0 --owner acme",
			want: resource.Body{"name": "screams", "description": "d", "window_seconds": 30, "min_events": 3, "enabled": false,
				"group_by": "edge_id", "include_label_ids": []string{"scream", "glass"}, "include_mic_ids": []string{"mic-1"},
				"cooldown_seconds": 0, "owner": "acme"}},
		{args: "--window-seconds 30", wantErr: "--name is required"},
		{args: "--name n --group-by device", wantErr: `invalid value "device" for --group-by: want label_id, mic_id or edge_id`},
		{args: "--name n --window-seconds 0", wantErr: "--window-seconds must be at least 1, got 0"},
		{args: "--name n --min-events -2", wantErr: "--min-events must be at least 1"},
		{args: "--name n --cooldown-seconds -1", wantErr: "--cooldown-seconds must be at least 0"},
		{args: "--name n --window-seconds 30s", wantErr: `invalid argument "30s"`},
	}
	for _, tt := range tests {
		fake := cmdtest.NewFake(t)
		fake.Handle("POST /api/v1/rules", 201, `{"id":"rule_1"}`)
		f, _ := cmdtest.Factory(fake.URL, "tok")
		err := cmdtest.Run(newCmdCreate(f), strings.Fields(tt.args)...)
		if tt.wantErr != "" {
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tt.wantErr) || len(fake.Requests()) != 0 {
				t.Errorf("%s: err = %v", tt.args, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := json.Marshal(tt.want); string(fake.Last(t).Body) != string(want) {
			t.Errorf("%s: body = %s\nwant %s", tt.args, fake.Last(t).Body, want)
		}
	}
}

func TestCreateRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("POST /api/v1/rules", 201, `{"id":"rule_1","owner":"acme","name":"screams","description":"","window_seconds":30,"min_events":3,"enabled":true,"group_by":"label_id","include_label_ids":["scream"],"include_mic_ids":[],"created_at":"2026-11-23T10:00:00Z","updated_at":"2026-11-23T10:00:00Z"}`)
	f, s := cmdtest.Factory(fake.URL, "tok")
	if err := cmdtest.Run(newCmdCreate(f), "--name", "screams", "--window-seconds", "30", "--min-events", "3", "--include-label-id", "scream"); err != nil {
		t.Fatal(err)
	}
	want := "rule_1\tscreams\ttrue\t30s\t3\tlabel_id\tscream\t\t2026-11-23T10:00:00Z\t0s\t\tacme\t2026-11-23T10:00:00Z\n"
	if s.Out.String() != want {
		t.Errorf("stdout %q\nwant   %q", s.Out, want)
	}
	// Numbers travel as JSON numbers.
	if body := string(fake.Last(t).Body); body != `{"include_label_ids":["scream"],"min_events":3,"name":"screams","window_seconds":30}` {
		t.Errorf("body = %s", body)
	}
}
