package httpapi

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

type loggerKey struct{}

// LoggerFrom returns the request's logger (or the default one).
func LoggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// RedactedURI returns the request URI with secrets (access_token and any
// *token* parameter) blanked, for logs and metrics.
func RedactedURI(u *url.URL) string {
	if u.RawQuery == "" {
		return u.Path
	}
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "token") || strings.Contains(lk, "secret") || lk == "key" {
			q[k] = []string{"REDACTED"}
		}
	}
	return u.Path + "?" + q.Encode()
}

// maxLoggedURI bounds the request URI in a log line.
const maxLoggedURI = 512

// AccessLog logs one line per request. It never logs headers, so bearer
// tokens cannot leak, and query-string tokens are redacted.
func AccessLog(l *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rl := l.With("method", clipTo(r.Method, 16), "uri", clipTo(RedactedURI(r.URL), maxLoggedURI), "remote", r.RemoteAddr)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), loggerKey{}, rl)))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelWarn
		}
		rl.Log(r.Context(), level, "request", "status", status, "duration", time.Since(start).Round(time.Microsecond), "bytes", sw.n)
	})
}

// statusWriter records the status; it forwards Flush and Hijack so that SSE
// and WebSocket handlers keep working behind it.
type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.n += int64(n)
	return n, err
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijack not supported")
	}
	if s.status == 0 {
		s.status = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
