package stream

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/evtctl/evtctl/internal/auth"
)

// A token's device list limits the analysis streams: no device_id means
// the token's devices, a device outside the list is 403 naming it, on the
// all-devices stream as on the one-device stream.
func TestAnalysisDevicesLimitedByToken(t *testing.T) {
	cams := auth.Principal{Owner: "acme", Devices: []string{"cam-1", "cam-2"}}
	anyDev := auth.Principal{Owner: "acme"}
	for _, tc := range []struct {
		p        auth.Principal
		path, id string
		want     string // devices, or the status and a part of the message
	}{
		{cams, "/all", "", "cam-1 cam-2"},
		{cams, "/all?device_id=cam-2", "", "cam-2"},
		{cams, "/all?device_id=cam-2,cam-1", "", "cam-2 cam-1"},
		{cams, "/all?device_id=cam-1&device_id=cam-3", "", `403 "cam-3"`},
		{cams, "/one", "cam-3", `403 "cam-3"`},
		{cams, "/one", "cam-1", "cam-1"},
		{anyDev, "/all", "", ""},
		{anyDev, "/all?device_id=cam-3&device_id=cam-3", "", "cam-3"},
		{anyDev, "/all?device_id=cam-1,,cam-2", "", "400"},
	} {
		r := httptest.NewRequest("GET", tc.path, nil)
		if tc.id != "" {
			r.SetPathValue("id", tc.id)
		}
		devices, err := analysisDevices(r, tc.p)
		got := strings.Join(devices, " ")
		if err != nil {
			got = strings.TrimSpace(strings.Join([]string{strconv.Itoa(err.Status), err.Message}, " "))
		}
		if !strings.HasPrefix(tc.want, "4") && got != tc.want || strings.HasPrefix(tc.want, "4") && !strings.Contains(got, strings.SplitN(tc.want, " ", 2)[0]) {
			t.Errorf("%v %s %s: got %q, want %q", tc.p.Devices, tc.path, tc.id, got, tc.want)
		}
		if strings.HasPrefix(tc.want, "403") && !strings.Contains(got, strings.SplitN(tc.want, " ", 2)[1]) {
			t.Errorf("%s: %q does not name the device", tc.path, got)
		}
	}
}
