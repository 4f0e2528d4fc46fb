package keys

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdCreateFlags(t *testing.T) {
	tests := []struct {
		args    string
		want    resource.Body
		in      time.Duration
		at      time.Time
		wantErr string
	}{
		{args: "--name edge --scope events:write --scope events:read --owner acme",
			want: resource.Body{"name": "edge", "owner": "acme", "scopes": []string{"events:write", "events:read"}}},
		{args: "--name e --scope admin --expires-in 720h", want: resource.Body{"name": "e", "scopes": []string{"admin"}}, in: 720 * time.Hour},
		{args: "--name e --scope admin --expires-in 30d", want: resource.Body{"name": "e", "scopes": []string{"admin"}}, in: 30 * 24 * time.Hour},
		{args: "--name e --scope admin --expires-at 2027-01-02T03:04:05+01:00", want: resource.Body{"name": "e", "scopes": []string{"admin"}},
			at: time.Date(2027, 1, 2, 2, 4, 5, 0, time.UTC)},
		{args: "--name e", wantErr: "--scope is required"},
		{args: "--scope admin", wantErr: "--name is required"},
		{args: "--name e --scope root", wantErr: `invalid value "root" for --scope: want admin, events:write, events:read, device:read or analytics:read`},
		{args: "--name e --scope admin --expires-in soon", wantErr: `invalid value "soon" for --expires-in`},
		{args: "--name e --scope admin --expires-in -1h", wantErr: `invalid value "-1h" for --expires-in`},
		{args: "--name e --scope admin --expires-at tomorrow", wantErr: `invalid value "tomorrow" for --expires-at`},
		{args: "--name e --scope admin --expires-in 1h --expires-at 2027-01-01T00:00:00Z", wantErr: "not both"},
	}
	for _, tt := range tests {
		fake := cmdtest.NewFake(t)
		fake.Handle("POST /api/v1/keys", 201, createdKey)
		f, _ := cmdtest.Factory(fake.URL, "tok")
		before := time.Now()
		err := cmdtest.Run(newCmdCreate(f), strings.Fields(tt.args)...)
		after := time.Now()
		if tt.wantErr != "" {
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tt.wantErr) || len(fake.Requests()) != 0 {
				t.Errorf("%s: err = %v", tt.args, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		body := fake.Last(t).JSON(t)
		expires, _ := body["expires_at"].(string)
		delete(body, "expires_at")
		if want, _ := json.Marshal(tt.want); string(must(json.Marshal(body))) != string(want) {
			t.Errorf("%s: body = %s, want %s", tt.args, fake.Last(t).Body, want)
		}
		switch {
		case tt.in > 0:
			// --expires-in counts from now, to the second.
			at, err := time.Parse(time.RFC3339, expires)
			if err != nil || at.Before(before.Add(tt.in).Truncate(time.Second)) || at.After(after.Add(tt.in)) {
				t.Errorf("%s: expires_at = %q", tt.args, expires)
			}
		case !tt.at.IsZero():
			if expires != tt.at.Format(time.RFC3339Nano) {
				t.Errorf("%s: expires_at = %q", tt.args, expires)
			}
		case expires != "":
			t.Errorf("%s: expires_at = %q, want none", tt.args, expires)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

const createdKey = `{"id":"k1","name":"edge","owner":"acme","scopes":["events:write"],"created_at":"2026-11-23T10:00:00Z","expires_at":"2026-12-23T10:00:00Z","token":"evt_k1_secret"}`

func TestCreateRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("POST /api/v1/keys", 201, createdKey)

	f, s := cmdtest.Factory(fake.URL, "tok")
	if err := cmdtest.Run(newCmdCreate(f), "--name", "edge", "--scope", "events:write", "--expires-at", "2026-12-23T10:00:00Z"); err != nil {
		t.Fatal(err)
	}
	// Not a terminal: one tab-separated line, the token last; no advice on stderr.
	if want := "k1\tedge\tacme\tevents:write\t2026-12-23T10:00:00Z\t2026-11-23T10:00:00Z\tevt_k1_secret\n"; s.Out.String() != want || s.ErrOut.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", s.Out, s.ErrOut)
	}
	if body := string(fake.Last(t).Body); body != `{"expires_at":"2026-12-23T10:00:00Z","name":"edge","scopes":["events:write"]}` {
		t.Errorf("body = %s", body)
	}

	// A terminal: aligned fields and the warning that the token is shown once.
	f, s = cmdtest.Factory(fake.URL, "tok")
	s.IO.SetStdoutTTY(true)
	if err := cmdtest.Run(newCmdCreate(f), "--name", "edge", "--scope", "admin", "--expires-at", "2027-01-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Out.String(), "TOKEN    evt_k1_secret\n") || s.ErrOut.String() != "Save the token now: it is not shown again.\n" {
		t.Errorf("stdout %q, stderr %q", s.Out, s.ErrOut)
	}
	if got := fake.Last(t).JSON(t)["expires_at"]; got != "2027-01-01T00:00:00Z" {
		t.Errorf("expires_at = %v", got)
	}

	// -o json: the answer as is, token included.
	f, s = cmdtest.Factory(fake.URL, "tok")
	f.Globals.Output = "json"
	if err := cmdtest.Run(newCmdCreate(f), "--name", "edge", "--scope", "admin"); err != nil || !strings.Contains(s.Out.String(), `"token": "evt_k1_secret"`) {
		t.Errorf("err %v, stdout %s", err, s.Out)
	}
}
