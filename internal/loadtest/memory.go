package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// memProbe reads the server's resident memory, in bytes.
type memProbe func(ctx context.Context) (int64, error)

// pidRSS reads VmRSS of a local process from /proc.
func pidRSS(pid int) memProbe {
	return func(context.Context) (int64, error) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			return 0, fmt.Errorf("server memory: %w", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) >= 3 && f[0] == "VmRSS:" && f[2] == "kB" {
				kb, err := strconv.ParseInt(f[1], 10, 64)
				return kb << 10, err
			}
		}
		return 0, fmt.Errorf("server memory: no VmRSS in /proc/%d/status", pid)
	}
}

// metricsRSS reads process_resident_memory_bytes from a Prometheus
// endpoint, for a server on another machine or in a container.
func metricsRSS(url string) memProbe {
	return func(ctx context.Context) (int64, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, fmt.Errorf("server metrics: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("server metrics: %s answered %s", url, resp.Status)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(resp.Body)
		if err != nil {
			return 0, fmt.Errorf("server metrics: %w", err)
		}
		fam := fams["process_resident_memory_bytes"]
		if fam == nil || len(fam.GetMetric()) == 0 {
			return 0, errors.New("server metrics: no process_resident_memory_bytes")
		}
		m := fam.GetMetric()[0]
		switch {
		case m.GetGauge() != nil:
			return int64(m.GetGauge().GetValue()), nil
		case m.GetUntyped() != nil:
			return int64(m.GetUntyped().GetValue()), nil
		}
		return 0, errors.New("server metrics: process_resident_memory_bytes is not a gauge")
	}
}
