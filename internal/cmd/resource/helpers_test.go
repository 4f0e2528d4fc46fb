package resource

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestPastTime(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"2026-11-23T10:00:00+02:00":        "2026-11-23T08:00:00Z",
		"2024-05-29 10:48:27.364000+00:00": "2024-05-29T10:48:27.364Z",
		"15m":                              "2026-11-23T11:45:00Z",
		"2d":                               "2026-11-21T12:00:00Z",
		"0s":                               "2026-11-23T12:00:00Z",
	} {
		got, err := PastTime("since", in, now)
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "-5m", "5x", "2026-13-01T00:00:00Z"} {
		_, err := PastTime("since", in, now)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "--since") {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestRawKeepsTheAnswer(t *testing.T) {
	type thing struct {
		ID string `json:"id"`
	}
	var r Raw[thing]
	in := `{"zeta":1.50,"id":"a","html":"<&>"}`
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	out, _ := r.MarshalJSON()
	if r.V.ID != "a" || string(out) != in {
		t.Errorf("V %+v, out %s", r.V, out)
	}
	// Reused for a second value: no leftovers from the first.
	_ = json.Unmarshal([]byte(`{"id":"b"}`), &r)
	if out, _ := r.MarshalJSON(); string(out) != `{"id":"b"}` {
		t.Errorf("out %s", out)
	}
	if out, _ := json.Marshal(NewRaw(thing{ID: "c"})); string(out) != `{"id":"c"}` {
		t.Errorf("NewRaw: %s", out)
	}
}

func TestBodyFromFlagsTypes(t *testing.T) {
	cmd := &cobra.Command{Use: "x"}
	fl := cmd.Flags()
	fl.String("name", "", "")
	fl.Int("n", 0, "")
	fl.Bool("on", true, "")
	fl.StringArray("tag", nil, "")
	fl.Duration("d", 0, "")
	fields := []Field{{Flag: "name", JSON: "name"}, {Flag: "n", JSON: "n"}, {Flag: "on", JSON: "on"}, {Flag: "tag", JSON: "tags"}}
	if err := fl.Parse([]string{"--n", "0", "--on=false", "--tag", "a", "--tag", ""}); err != nil {
		t.Fatal(err)
	}
	b, err := BodyFromFlags(fl, fields)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(b)
	// Zero values that were set are sent; unset flags are not.
	if string(data) != `{"n":0,"on":false,"tags":["a",""]}` {
		t.Errorf("body %s", data)
	}
	_ = fl.Set("d", "1s")
	if _, err := BodyFromFlags(fl, []Field{{Flag: "d", JSON: "d"}}); err == nil {
		t.Error("a duration flag should be refused (no JSON mapping)")
	}
	if _, err := BodyFromFlags(fl, []Field{{Flag: "nope", JSON: "x"}}); err == nil {
		t.Error("a missing flag should be an error")
	}
	// Headers: 'Name: value' items become an object; a malformed one is a
	// usage error; one empty value clears.
	hf := (&cobra.Command{}).Flags()
	hf.StringArray("header", nil, "")
	hf.Float64("rate", 0, "")
	if err := hf.Parse([]string{"--header", "X-Team: ops", "--header", "Authorization:Bearer t", "--rate", "2.5"}); err != nil {
		t.Fatal(err)
	}
	b, err = BodyFromFlags(hf, []Field{{Flag: "header", JSON: "headers", Headers: true}, {Flag: "rate", JSON: "rate"}})
	if data, _ := json.Marshal(b); err != nil || string(data) != `{"headers":{"Authorization":"Bearer t","X-Team":"ops"},"rate":2.5}` {
		t.Errorf("headers body %s, %v", data, err)
	}
	_ = hf.Set("header", "no colon")
	if _, err := BodyFromFlags(hf, []Field{{Flag: "header", JSON: "headers", Headers: true}}); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("malformed header: %v", err)
	}
}

func TestFieldErrors(t *testing.T) {
	i0, i1 := 0, 1
	err := error(&apiclient.APIError{Status: 400, Message: "Bad.",
		Details: []apiclient.Detail{{Index: &i0, Field: "a", Reason: "is x"}, {Index: &i1, Field: "b", Reason: "is y"}}})
	if got := FieldErrors(err).Error(); got != "Bad.\na: is x\nb: is y" {
		t.Errorf("got %q", got)
	}
	plain := errors.New("plain")
	if FieldErrors(plain) != plain || FieldErrors(nil) != nil {
		t.Error("non-API errors must pass through")
	}
}

func TestIDsCompletion(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.HandleFunc("GET /api/v1/things", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			cmdtest.Reply(w, 401, `{"error":{"code":"unauthorized","message":"No."}}`)
			return
		}
		cmdtest.Reply(w, 200, `{"items":[{"id":"a","name":"first\tone"},{"id":"b"},{"id":"c","name":"third"}]}`)
	})
	f, _ := cmdtest.Factory(fake.URL, "tok")
	got, dir := IDs(f, "/api/v1/things")(nil, nil, "")
	if strings.Join(got, "|") != "a\tfirst one|b|c\tthird" || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("got %q, %v", got, dir)
	}
	// Ids already on the command line are not offered again; single-id
	// commands offer nothing for a second argument.
	got, _ = FirstArgIDs(f, "/api/v1/things", true)(nil, []string{"a"}, "")
	if strings.Join(got, "|") != "b|c\tthird" {
		t.Errorf("many: %q", got)
	}
	if got, _ = FirstArgIDs(f, "/api/v1/things", false)(nil, []string{"a"}, ""); got != nil {
		t.Errorf("one: %q", got)
	}
	// A refused token offers nothing, silently.
	f, s := cmdtest.Factory(fake.URL, "bad")
	if got, _ := IDs(f, "/api/v1/things")(nil, nil, ""); got != nil || s.ErrOut.Len() != 0 {
		t.Errorf("got %q, stderr %q", got, s.ErrOut)
	}
}
