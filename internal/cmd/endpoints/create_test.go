package endpoints

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/apiclient"
	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdCreateFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     string
		want     resource.Body
		wantCode int    // exit code of a usage error
		wantErr  string // part of its message
	}{
		{name: "websocket", args: "--name wall --type websocket",
			want: resource.Body{"name": "wall", "type": "websocket"}},
		{name: "webhook with everything", args: "--name a --type webhook --url https://x.example/h --secret whsec_abc --enabled=false --owner acme",
			want: resource.Body{"name": "a", "type": "webhook", "url": "https://x.example/h", "secret": "whsec_abc", "enabled": false, "owner": "acme"}},
		{name: "missing name", args: "--type websocket", wantCode: 2, wantErr: "--name is required"},
		{name: "missing both", args: "", wantCode: 2, wantErr: "--name and --type are required"},
		{name: "bad type", args: "--name a --type carrier-pigeon", wantCode: 2, wantErr: `invalid value "carrier-pigeon" for --type: want websocket or webhook`},
		{name: "webhook without url", args: "--name a --type webhook", wantCode: 2, wantErr: "--url is required"},
		{name: "positional", args: "--name a --type websocket extra", wantCode: 2, wantErr: "takes no arguments"},
		{name: "unknown flag", args: "--name a --colour red", wantCode: 2, wantErr: "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := cmdtest.NewFake(t)
			fake.Handle("POST /api/v1/endpoints", http.StatusCreated, created)
			f, _ := cmdtest.Factory(fake.URL, "tok")
			err := cmdtest.Run(newCmdCreate(f), strings.Fields(tt.args)...)
			if tt.wantCode != 0 {
				if cmdutil.ExitCode(err) != tt.wantCode || !strings.Contains(err.Error(), tt.wantErr) || len(fake.Requests()) != 0 {
					t.Fatalf("err = %v (exit %d), want exit %d and %q; %d requests", err, cmdutil.ExitCode(err), tt.wantCode, tt.wantErr, len(fake.Requests()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := json.Marshal(tt.want); string(fake.Last(t).Body) != string(want) {
				t.Errorf("body = %s, want %s", fake.Last(t).Body, want)
			}
		})
	}
}

const created = `{"id":"ep_1","owner":"acme","name":"alerts","type":"webhook","url":"https://x.example/h","secret":"whsec_s","enabled":true,"created_at":"2026-11-23T10:00:00Z","updated_at":"2026-11-23T10:00:00Z","future_field":1.50}`

func TestCreateRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("POST /api/v1/endpoints", http.StatusCreated, created)

	for _, tt := range []struct {
		output, want string
	}{
		{"id", "ep_1\n"},
		{"table", "ep_1\talerts\twebhook\ttrue\thttps://x.example/h\t2026-11-23T10:00:00Z\tacme\twhsec_s\t\t2026-11-23T10:00:00Z\n"},
		// json is the gateway's answer, unknown fields and number spelling kept.
		{"json", "{\n  \"id\": \"ep_1\",\n  \"owner\": \"acme\",\n  \"name\": \"alerts\",\n  \"type\": \"webhook\",\n  \"url\": \"https://x.example/h\",\n  \"secret\": \"whsec_s\",\n  \"enabled\": true,\n  \"created_at\": \"2026-11-23T10:00:00Z\",\n  \"updated_at\": \"2026-11-23T10:00:00Z\",\n  \"future_field\": 1.50\n}\n"},
	} {
		t.Run(tt.output, func(t *testing.T) {
			f, s := cmdtest.Factory(fake.URL, "tok")
			f.Globals.Output = tt.output
			if err := cmdtest.Run(newCmdCreate(f), "--name", "alerts", "--type", "webhook", "--url", "https://x.example/h"); err != nil {
				t.Fatal(err)
			}
			if s.Out.String() != tt.want {
				t.Errorf("stdout:\n%q\nwant\n%q", s.Out, tt.want)
			}
			req := fake.Last(t)
			if req.Auth != "Bearer tok" || req.ContentType != "application/json" {
				t.Errorf("request headers: %+v", req)
			}
			if got := req.JSON(t); !reflect.DeepEqual(got, map[string]any{"name": "alerts", "type": "webhook", "url": "https://x.example/h"}) {
				t.Errorf("body = %v", got)
			}
		})
	}
}

func TestCreateRunErrors(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.HandleFunc("POST /api/v1/endpoints", func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "Bearer bad":
			cmdtest.Reply(w, 401, `{"error":{"code":"unauthorized","message":"Invalid token."}}`)
		case "Bearer reader":
			cmdtest.Reply(w, 403, `{"error":{"code":"forbidden","message":"This key lacks the admin scope."}}`)
		default:
			cmdtest.Reply(w, 400, `{"error":{"code":"validation_failed","message":"Field \"url\" must be an http or https URL.","details":[{"index":0,"field":"url","reason":"must be an http or https URL"}]}}`)
		}
	})
	for _, tt := range []struct {
		token   string
		code    int
		wantErr string
	}{
		{"ok", 1, `Field "url" must be an http or https URL.`},
		{"bad", 4, "Invalid token."},
		{"reader", 4, "This key lacks the admin scope."},
	} {
		f, s := cmdtest.Factory(fake.URL, tt.token)
		err := cmdtest.Run(newCmdCreate(f), "--name", "a", "--type", "webhook", "--url", "ftp://x")
		// One sentence: the single detail would only repeat the message.
		if cmdutil.ExitCode(err) != tt.code || err.Error() != tt.wantErr {
			t.Errorf("token %s: err = %q (exit %d), want %q (exit %d)", tt.token, err, cmdutil.ExitCode(err), tt.wantErr, tt.code)
		}
		if s.Out.Len() != 0 {
			t.Errorf("stdout = %q", s.Out)
		}
	}

	// Nobody listening: exit 1, a sentence naming the server.
	f, _ := cmdtest.Factory("http://127.0.0.1:1", "tok")
	err := cmdtest.Run(newCmdCreate(f), "--name", "a", "--type", "websocket")
	var ce *apiclient.ConnectError
	if !errors.As(err, &ce) || cmdutil.ExitCode(err) != 1 || !strings.Contains(err.Error(), "cannot reach the gateway at http://127.0.0.1:1") {
		t.Errorf("err = %v", err)
	}
}
