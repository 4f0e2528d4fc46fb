package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/evtctl/evtctl/internal/auth"
	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/internal/metrics"
	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// maxDetails bounds the per-record problems echoed back, so a million bad
// lines do not produce a response larger than the request.
const maxDetails = 100

// Handler serves POST /api/v1/events/{family}.
type Handler struct {
	Log     *store.Log
	MaxBody int64
	Metrics *metrics.Metrics
	// Full, when set, learns the outcome of every append: a store out of
	// room is a state /readyz and a metric show (store.FullState).
	Full *store.FullState
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	fam, err := proto.ParseFamily(r.PathValue("family"))
	famLabel := string(fam)
	if err != nil {
		famLabel = "unknown"
	}
	r, span := traceRequest(r, famLabel)
	rw := &statusRecorder{ResponseWriter: w}
	httpapi.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if err != nil {
			return httpapi.Errorf(http.StatusNotFound, proto.CodeUnknownFamily, "%s.", upper(err.Error()))
		}
		return h.ingest(w, r, fam, start)
	}).ServeHTTP(rw, r)
	h.Metrics.IngestRequests.WithLabelValues(famLabel, strconv.Itoa(rw.status)).Inc()
	endRequest(span, rw.status)
}

func (h *Handler) ingest(w http.ResponseWriter, r *http.Request, fam proto.Family, start time.Time) error {
	p, _ := auth.From(r.Context())
	owner := p.Owner
	if o := r.URL.Query().Get("owner"); o != "" && o != owner {
		if !p.Admin() {
			return httpapi.Errorf(http.StatusForbidden, proto.CodeForbidden, "Only an admin key may ingest on behalf of another owner.")
		}
		if reason := proto.CheckOwner(o); reason != "" {
			return httpapi.Invalid("owner", reason)
		}
		owner = o
	}
	format, ferr := formatOf(r.Header.Get("Content-Type"))
	if ferr != nil {
		return ferr
	}

	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	if n := r.ContentLength; n > 0 && n <= h.MaxBody {
		// One allocation of the right size instead of doubling (and
		// zeroing) the buffer while reading.
		buf.Grow(int(n) + bytes.MinRead)
	}
	reuse := true
	defer func() {
		// After a failed append, nats.go may still hold (and retry) the
		// messages, which point into buf: let the GC have it instead.
		if reuse && buf.Cap() <= 8<<20 {
			bufPool.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.MaxBody)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return httpapi.Errorf(http.StatusRequestEntityTooLarge, proto.CodeBodyTooLarge,
				"The request body is larger than %d bytes; split it into smaller batches.", h.MaxBody)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return httpapi.Errorf(http.StatusBadRequest, proto.CodeBadRequest, "The request body ended early.")
		}
		if r.Context().Err() != nil {
			return err // the client went away; nobody reads the answer
		}
		// A malformed chunked encoding, a bad gzip stream or a reset
		// connection: the client's body, not the server, is at fault.
		return httpapi.Errorf(http.StatusBadRequest, proto.CodeBadRequest, "The request body could not be read: %s.", httpapi.Clip(err.Error()))
	}

	records, serr := split(buf.Bytes(), format)
	if serr != nil {
		h.Metrics.IngestEvents.WithLabelValues(string(fam), "rejected").Inc()
		return serr
	}
	entries, problems := prepare(fam, owner, records, h.Log.MaxEventBytes())
	if len(problems) > 0 {
		h.Metrics.IngestEvents.WithLabelValues(string(fam), "rejected").Add(float64(len(records)))
		return rejection(problems, len(records))
	}

	res, err := h.Log.Append(r.Context(), entries)
	h.Full.Observe(err)
	if fe := store.AsFull(err); fe != nil {
		reuse = false
		httpapi.LoggerFrom(r.Context()).Warn("ingest refused: storage is full", "family", fam, "events", len(entries), "err", err)
		return &httpapi.Error{Status: http.StatusInsufficientStorage, Code: proto.CodeStorageFull, RetryAfter: 30,
			Message: "Storage is full: " + fe.Reason + "; nothing more can be stored until room is freed (retention, a larger storage.max_store or storage.max_bytes, disk space). " +
				"Retry later; events already stored are recognised as duplicates."}
	}
	if err != nil {
		reuse = false
		httpapi.LoggerFrom(r.Context()).Warn("ingest not confirmed by storage", "family", fam, "events", len(entries), "err", err)
		return &httpapi.Error{Status: http.StatusServiceUnavailable, Code: proto.CodeUnavailable, RetryAfter: 1,
			Message: "Storage did not confirm the events; retry the same request (already stored events are recognised as duplicates)."}
	}
	h.Metrics.IngestEvents.WithLabelValues(string(fam), "accepted").Add(float64(res.Accepted))
	h.Metrics.IngestEvents.WithLabelValues(string(fam), "duplicate").Add(float64(res.Duplicates))
	h.Metrics.IngestLatency.WithLabelValues(string(fam)).Observe(time.Since(start).Seconds())
	httpapi.WriteJSON(w, http.StatusAccepted, proto.IngestResult{Accepted: res.Accepted, Duplicates: res.Duplicates})
	return nil
}

func rejection(problems []proto.FieldError, total int) *httpapi.Error {
	bad := map[int]bool{}
	for _, p := range problems {
		bad[p.Index] = true
	}
	msg := fmt.Sprintf("%d of %d records are invalid; nothing was stored.", len(bad), total)
	if total == 1 {
		msg = "The event is invalid; nothing was stored."
	}
	if len(problems) > maxDetails {
		msg = fmt.Sprintf("%s The first %d problems are listed.", msg, maxDetails)
		problems = problems[:maxDetails]
	}
	return &httpapi.Error{Status: http.StatusBadRequest, Code: proto.CodeValidationFailed, Message: msg, Details: problems}
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return string(bytes.ToUpper([]byte(s[:1]))) + s[1:]
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}
