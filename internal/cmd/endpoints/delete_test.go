package delete

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdDeleteArgs(t *testing.T) {
	f, _ := cmdtest.Factory("", "")
	var got *DeleteOptions
	if err := cmdtest.Run(NewCmdDelete(f, func(o *DeleteOptions) error { got = o; return nil }), "a", "b", "--yes"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.IDs, []string{"a", "b"}) || !got.Yes {
		t.Errorf("opts = %+v", got)
	}
	err := cmdtest.Run(NewCmdDelete(f, func(o *DeleteOptions) error { return nil }))
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("no id: err = %v", err)
	}
}

func TestDeleteRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("DELETE /api/v1/endpoints/ep_1", 204, "")
	fake.Handle("DELETE /api/v1/endpoints/ep_2", 204, "")

	run := func(tty bool, answer string, yes bool, output string, ids ...string) (*cmdtest.Streams, error) {
		f, s := cmdtest.Factory(fake.URL, "tok")
		f.Globals.Output = output
		s.IO.SetStdinTTY(tty)
		s.IO.SetStdoutTTY(tty)
		s.IO.SetStderrTTY(tty)
		s.In.WriteString(answer)
		opts := &DeleteOptions{Factory: f, Client: f.APIClient, IDs: ids, Yes: yes}
		return s, deleteRun(context.Background(), opts)
	}
	deletes := func() int {
		n := 0
		for _, r := range fake.Requests() {
			if r.Method == "DELETE" {
				n++
			}
		}
		return n
	}

	// Not a terminal: no question, nothing printed.
	s, err := run(false, "", false, "table", "ep_1")
	if err != nil || s.Out.Len() != 0 || s.ErrOut.Len() != 0 || deletes() != 1 {
		t.Fatalf("err %v, stdout %q, stderr %q, deletes %d", err, s.Out, s.ErrOut, deletes())
	}

	// A terminal and "n": asked, nothing deleted, exit 1.
	s, err = run(true, "n\n", false, "table", "ep_1", "ep_2")
	if cmdutil.ExitCode(err) != 1 || deletes() != 1 || s.ErrOut.String() != "Delete 2 endpoints (ep_1, ep_2)? [y/N] " {
		t.Fatalf("err %v, stderr %q, deletes %d", err, s.ErrOut, deletes())
	}
	// End of input counts as no.
	if _, err = run(true, "", false, "table", "ep_1"); cmdutil.ExitCode(err) != 1 || deletes() != 1 {
		t.Fatalf("EOF: err %v, deletes %d", err, deletes())
	}

	// A terminal and "y": deleted, reported.
	s, err = run(true, "y\n", false, "table", "ep_1", "ep_2")
	if err != nil || deletes() != 3 || s.Out.String() != "Deleted endpoint ep_1.\nDeleted endpoint ep_2.\n" {
		t.Fatalf("err %v, stdout %q, deletes %d", err, s.Out, deletes())
	}

	// --yes on a terminal: not asked; -q prints the ids.
	s, err = run(true, "", true, "id", "ep_2")
	if err != nil || s.ErrOut.Len() != 0 || s.Out.String() != "ep_2\n" {
		t.Fatalf("err %v, stdout %q, stderr %q", err, s.Out, s.ErrOut)
	}

	// A missing id stops the run: exit 3, and the sentence says what was done.
	_, err = run(false, "", false, "table", "ep_1", "ep_404", "ep_2")
	if cmdutil.ExitCode(err) != cmdutil.ExitNotFound || !strings.Contains(err.Error(), "The 1 endpoint(s) before ep_404 were deleted.") {
		t.Fatalf("err %v", err)
	}
	if last := fake.Last(t); last.Path != "/api/v1/endpoints/ep_404" {
		t.Errorf("went on after the failure: %s", last.Path)
	}
}
