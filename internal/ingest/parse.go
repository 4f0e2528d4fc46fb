// Package ingest implements POST /api/v1/events/{family}: it splits a
// request into records (a JSON object, a JSON array or NDJSON), validates
// every record, and only when all are valid appends them to the event log,
// answering 202 once JetStream has stored them.
package ingest

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"

	"github.com/evtctl/evtctl/internal/httpapi"
	"github.com/evtctl/evtctl/pkg/proto"
)

// bodyFormat is how a request body holds its records.
type bodyFormat int

const (
	formatJSON   bodyFormat = iota // one object or an array of objects
	formatNDJSON                   // one object per line
)

// formatOf maps the Content-Type header to a body format. A missing header
// is taken as JSON; anything else (notably curl -d's default
// application/x-www-form-urlencoded) is refused with a hint.
func formatOf(contentType string) (bodyFormat, *httpapi.Error) {
	if contentType == "" {
		return formatJSON, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, httpapi.Errorf(http.StatusUnsupportedMediaType, proto.CodeUnsupportedMediaType, "The Content-Type %q cannot be parsed.", contentType)
	}
	switch mt {
	case "application/json", "text/json":
		return formatJSON, nil
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines":
		return formatNDJSON, nil
	}
	return 0, httpapi.Errorf(http.StatusUnsupportedMediaType, proto.CodeUnsupportedMediaType,
		"Content-Type %q is not accepted; send application/json (an object or an array) or application/x-ndjson (one object per line).", mt)
}

// split returns the records of a body. A body that cannot be split at all
// (a broken JSON array) is one error; an NDJSON line that is not JSON is a
// per-record problem found later by validation, so every bad line is
// reported together.
func split(body []byte, f bodyFormat) ([][]byte, *httpapi.Error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, httpapi.Errorf(http.StatusBadRequest, proto.CodeBadRequest, "The request body is empty; send at least one event.")
	}
	if f == formatNDJSON {
		return splitLines(trimmed), nil
	}
	switch trimmed[0] {
	case '{':
		return [][]byte{trimmed}, nil
	case '[':
		var raw []json.RawMessage
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, httpapi.Errorf(http.StatusBadRequest, proto.CodeInvalidJSON, "The request body is not a valid JSON array: %v.", err)
		}
		if len(raw) == 0 {
			return nil, httpapi.Errorf(http.StatusBadRequest, proto.CodeBadRequest, "The JSON array is empty; send at least one event.")
		}
		recs := make([][]byte, len(raw))
		for i, r := range raw {
			recs[i] = r
		}
		return recs, nil
	default:
		if !json.Valid(trimmed) {
			return nil, httpapi.Errorf(http.StatusBadRequest, proto.CodeInvalidJSON, "The request body is not valid JSON; send an object, an array of objects, or NDJSON with Content-Type application/x-ndjson.")
		}
		return nil, httpapi.Errorf(http.StatusBadRequest, proto.CodeBadRequest, "The request body must be a JSON object or an array of objects.")
	}
}

// splitLines splits NDJSON. Blank lines are skipped and not counted, so a
// record's index is its position among the records.
func splitLines(body []byte) [][]byte {
	recs := make([][]byte, 0, bytes.Count(body, []byte{'\n'})+1)
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		recs = append(recs, line)
	}
	return recs
}
