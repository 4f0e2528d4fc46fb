package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/iostreams"
)

func TestAPIClient(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("server: http://from-config:9000\ntoken: cfgtok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	newF := func(env map[string]string, g Globals) *Factory {
		ios, _, _, _ := iostreams.Test()
		return &Factory{
			IOStreams: ios, Version: "1.4.0", Globals: &g,
			Getenv:         func(k string) string { return env[k] },
			UserConfigPath: func() string { return cfg },
		}
	}

	c, err := newF(nil, Globals{}).APIClient()
	if err != nil || c.BaseURL().String() != "http://from-config:9000" || c.Token() != "cfgtok" {
		t.Errorf("config: %v %v %q", err, c.BaseURL(), c.Token())
	}
	c, err = newF(map[string]string{"EVTCTL_SERVER": "http://env:1", "EVTCTL_TOKEN": "envtok"}, Globals{Token: "flagtok"}).APIClient()
	if err != nil || c.BaseURL().String() != "http://env:1" || c.Token() != "flagtok" {
		t.Errorf("env+flag: %v %v %q", err, c.BaseURL(), c.Token())
	}
	// BaseURL hands out a copy.
	c.BaseURL().Host = "changed"
	if c.BaseURL().Host != "env:1" {
		t.Error("BaseURL is not a copy")
	}

	// The user agent names the version.
	var ua string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ua = r.UserAgent() }))
	defer srv.Close()
	c, _ = newF(nil, Globals{Server: srv.URL}).APIClient()
	if err := c.Do(context.Background(), "GET", "/", nil, nil, nil); err != nil || ua != "evtctl/1.4.0" {
		t.Errorf("user agent %q, err %v", ua, err)
	}

	_, err = newF(nil, Globals{Server: "ftp://nope"}).APIClient()
	var fe *FlagError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), `"ftp://nope"`) || ExitCode(err) != ExitUsage {
		t.Errorf("bad server: %T %v", err, err)
	}
}

func TestExitCode(t *testing.T) {
	api := func(status int) error { return &apiclient.APIError{Status: status, Message: "x"} }
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("plain"), ExitFailure},
		{FlagErrorf("bad"), ExitUsage},
		{&NotFoundError{Err: errors.New("gone")}, ExitNotFound},
		{&AuthError{Err: errors.New("no")}, ExitUnauthorized},
		{&ExitError{Code: 7, Err: errors.New("seven")}, 7},
		// The gateway's refusals, by HTTP status, also when wrapped.
		{api(401), ExitUnauthorized},
		{api(403), ExitUnauthorized},
		{api(404), ExitNotFound},
		{fmt.Errorf("deleting b: %w", api(404)), ExitNotFound},
		{api(400), ExitFailure},
		{api(409), ExitFailure},
		{api(429), ExitFailure},
		{api(502), ExitFailure},
		{&apiclient.ConnectError{Server: "http://x", Err: errors.New("refused")}, ExitFailure},
	} {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%T %v: exit %d, want %d", tt.err, tt.err, got, tt.want)
		}
	}
}
