package webhooks

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
)

// saver writes each request listen reads to two files, NAME.body (the
// body, byte for byte) and NAME.headers (the request line and "Name:
// value" lines), which `webhooks verify` reads back. Files are named by
// arrival order, never by anything the sender chose.
type saver struct {
	dir string
	n   atomic.Uint64
}

func (s *saver) save(r *http.Request, body []byte) (string, error) {
	base := filepath.Join(s.dir, fmt.Sprintf("req-%06d", s.n.Add(1)))
	var h strings.Builder
	fmt.Fprintf(&h, "%s %s %s\r\n", r.Method, clip(r.URL.RequestURI()), r.Proto)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&h, "%s: %s\r\n", k, v)
		}
	}
	if err := os.WriteFile(base+".headers", []byte(h.String()), 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(base+".body", body, 0o600); err != nil {
		return "", err
	}
	return base, nil
}
