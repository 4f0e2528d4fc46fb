package endpoints

import (
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestRetry(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("POST /api/v1/endpoints/ep_1/deliveries/7/retry", 202,
		`{"id":"7","endpoint_id":"ep_1","webhook_id":"msg_ep_1_7","family":"sound","event_type":"dog_bark","status":"pending","trigger":"retry","attempts":3,"response_status":500,"latency_ms":2.5,"received_at":"2026-11-23T10:00:00Z"}`)
	fake.Handle("POST /api/v1/endpoints/ep_1/deliveries/8/retry", 409,
		`{"error":{"code":"conflict","message":"Delivery 8 is still pending; it is retried on its schedule."}}`)

	for _, args := range [][]string{nil, {"ep_1"}, {"ep_1", "7", "8"}, {"ep_1", "7", "--since", "2h"}, {"ep_1", "--status", "bogus", "--since", "2h"}, {"ep_1", "--status", "failed"}} {
		f, _ := cmdtest.Factory(fake.URL, "tok")
		err := cmdtest.Run(newCmdRetry(f), args...)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "give the endpoint id") &&
			!strings.Contains(err.Error(), "not both") && !strings.Contains(err.Error(), "--status") && !strings.Contains(err.Error(), "since") {
			t.Errorf("%v: err = %v", args, err)
		}
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("usage errors sent %d requests", n)
	}

	f, s := cmdtest.Factory(fake.URL, "tok")
	if err := cmdtest.Run(newCmdRetry(f), "ep_1", "7"); err != nil {
		t.Fatal(err)
	}
	if want := "7\tpending\t3\t500\t2.5 ms\tsound/dog_bark\tretry\t2026-11-23T10:00:00Z\t\n"; s.Out.String() != want {
		t.Errorf("stdout %q, want %q", s.Out.String(), want)
	}

	err := cmdtest.Run(newCmdRetry(f), "ep_1", "8")
	if cmdutil.ExitCode(err) != cmdutil.ExitFailure || !strings.Contains(err.Error(), "still pending") {
		t.Fatalf("pending delivery: err = %v (exit %d)", err, cmdutil.ExitCode(err))
	}
}

func TestRetryBulk(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("POST /api/v1/endpoints/ep_1/retry", 202, `{"queued":12,"run_id":"retry_ab"}`)
	f, s := cmdtest.Factory(fake.URL, "tok")
	if err := cmdtest.Run(newCmdRetry(f), "ep_1", "--status", "exhausted", "--since", "2026-11-22T00:00:00Z", "--until", "2026-11-23T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if want := "12\tretry_ab\n"; s.Out.String() != want {
		t.Errorf("stdout %q, want %q", s.Out.String(), want)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), `"status":"exhausted"`) || !strings.Contains(string(reqs[0].Body), `"since":"2026-11-22T00:00:00Z"`) ||
		!strings.Contains(string(reqs[0].Body), `"until":"2026-11-23T00:00:00Z"`) {
		t.Fatalf("requests %+v", reqs)
	}
}
