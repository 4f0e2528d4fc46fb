package keys

import (
	"strings"
	"testing"
	"time"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
)

// What keys create has of its own; its flags and what every create does
// are in internal/cmd/resource/commands_test.go.

const createdKey = `{"id":"k1","name":"edge","owner":"acme","scopes":["events:write"],"created_at":"2026-11-23T10:00:00Z","expires_at":"2026-12-23T10:00:00Z","token":"evt_k1_secret"}`

// --expires-in counts from now, to the second.
func TestCreateExpiresIn(t *testing.T) {
	for _, tt := range []struct {
		arg string
		in  time.Duration
	}{{"720h", 720 * time.Hour}, {"30d", 30 * 24 * time.Hour}} {
		fake := cmdtest.NewFake(t)
		fake.Handle("POST /api/v1/keys", 201, createdKey)
		f, _ := cmdtest.Factory(fake.URL, "tok")
		before := time.Now()
		if err := cmdtest.Run(createCmd.New(f), "--name", "e", "--scope", "admin", "--expires-in", tt.arg); err != nil {
			t.Fatal(err)
		}
		after := time.Now()
		expires, _ := fake.Last(t).JSON(t)["expires_at"].(string)
		at, err := time.Parse(time.RFC3339, expires)
		if err != nil || at.Before(before.Add(tt.in).Truncate(time.Second)) || at.After(after.Add(tt.in)) {
			t.Errorf("%s: expires_at = %q", tt.arg, expires)
		}
	}
}

// The token comes last; on a terminal a warning says it is shown once.
func TestCreateShowsTheTokenOnce(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("POST /api/v1/keys", 201, createdKey)

	f, s := cmdtest.Factory(fake.URL, "tok")
	if err := cmdtest.Run(createCmd.New(f), "--name", "edge", "--scope", "events:write"); err != nil {
		t.Fatal(err)
	}
	// Not a terminal: one tab-separated line, the token last; no advice on stderr.
	if want := "k1\tedge\tacme\tevents:write\t2026-12-23T10:00:00Z\t2026-11-23T10:00:00Z\tevt_k1_secret\n"; s.Out.String() != want || s.ErrOut.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", s.Out, s.ErrOut)
	}

	f, s = cmdtest.Factory(fake.URL, "tok")
	s.IO.SetStdoutTTY(true)
	if err := cmdtest.Run(createCmd.New(f), "--name", "edge", "--scope", "admin"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Out.String(), "TOKEN    evt_k1_secret\n") || s.ErrOut.String() != "Save the token now: it is not shown again.\n" {
		t.Errorf("stdout %q, stderr %q", s.Out, s.ErrOut)
	}

	// -o json: the answer as is, token included.
	f, s = cmdtest.Factory(fake.URL, "tok")
	f.Globals.Output = "json"
	if err := cmdtest.Run(createCmd.New(f), "--name", "edge", "--scope", "admin"); err != nil || !strings.Contains(s.Out.String(), `"token": "evt_k1_secret"`) {
		t.Errorf("err %v, stdout %s", err, s.Out)
	}
}
