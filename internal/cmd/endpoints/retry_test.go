package retry

import (
	"context"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/cmd/cmdhelp/cmdtest"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

func TestNewCmdRetryArgs(t *testing.T) {
	for _, args := range [][]string{nil, {"ep_1"}, {"ep_1", "7", "8"}} {
		f, _ := cmdtest.Factory("", "")
		err := cmdtest.Run(NewCmdRetry(f, func(*RetryOptions) error { return nil }), args...)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "give the endpoint id and the delivery id") {
			t.Errorf("%v: err = %v", args, err)
		}
	}
	f, _ := cmdtest.Factory("", "")
	var got *RetryOptions
	if err := cmdtest.Run(NewCmdRetry(f, func(o *RetryOptions) error { got = o; return nil }), "ep_1", "7"); err != nil || got.ID != "ep_1" || got.DeliveryID != "7" {
		t.Fatalf("err = %v, opts = %+v", err, got)
	}
}

func TestRetryRun(t *testing.T) {
	fake := cmdtest.NewFake(t)
	fake.Handle("POST /api/v1/endpoints/ep_1/deliveries/7/retry", 202,
		`{"id":"7","endpoint_id":"ep_1","webhook_id":"msg_ep_1_7","family":"sound","event_type":"dog_bark","status":"pending","trigger":"retry","attempts":3,"response_status":500,"latency_ms":2.5,"received_at":"2026-11-23T10:00:00Z"}`)
	fake.Handle("POST /api/v1/endpoints/ep_1/deliveries/8/retry", 409,
		`{"error":{"code":"conflict","message":"Delivery 8 is still pending; it is retried on its schedule."}}`)

	f, s := cmdtest.Factory(fake.URL, "tok")
	opts := &RetryOptions{Factory: f, Client: f.APIClient, ID: "ep_1", DeliveryID: "7"}
	if err := retryRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if want := "7\tpending\t3\t500\t2.5 ms\tsound/dog_bark\tretry\t2026-11-23T10:00:00Z\t\n"; s.Out.String() != want {
		t.Errorf("stdout %q, want %q", s.Out.String(), want)
	}

	opts.DeliveryID = "8"
	err := retryRun(context.Background(), opts)
	if cmdutil.ExitCode(err) != cmdutil.ExitFailure || !strings.Contains(err.Error(), "still pending") {
		t.Fatalf("pending delivery: err = %v (exit %d)", err, cmdutil.ExitCode(err))
	}
}
