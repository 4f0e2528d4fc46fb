package loadtest

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"

	"github.com/gorilla/websocket"
)

// causes maps system errors to the short names reports use. The ones a
// load test meets in practice: a server that is down (refused), a port
// range exhausted (addr_not_avail, addr_in_use), a file-descriptor limit
// (too_many_open_files), a listen backlog overflowing (timeout, reset).
var causes = []struct {
	err  error
	name string
}{
	{syscall.ECONNREFUSED, "refused"},
	{syscall.ECONNRESET, "reset"},
	{syscall.EADDRNOTAVAIL, "addr_not_avail"},
	{syscall.EADDRINUSE, "addr_in_use"},
	{syscall.EMFILE, "too_many_open_files"},
	{syscall.ENFILE, "too_many_open_files"},
	{syscall.ENETUNREACH, "unreachable"},
	{syscall.EHOSTUNREACH, "unreachable"},
	{syscall.EPIPE, "broken_pipe"},
	{io.ErrUnexpectedEOF, "eof"},
	{io.EOF, "eof"},
	{context.DeadlineExceeded, "timeout"},
}

// cause names the cause of a network error.
func cause(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return strconv.Itoa(ce.Code)
	}
	for _, c := range causes {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "dns"
	}
	var rec tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	if errors.As(err, &rec) || errors.As(err, &cv) {
		return "tls"
	}
	if errors.Is(err, websocket.ErrBadHandshake) {
		return "bad_handshake"
	}
	return "other"
}
