package tail

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// historyLimit is the page size asked of the gateway's query API (its
// largest).
const historyLimit = 1000

// history sends the events the gateway recorded for s since opts.Since
// (GET /api/v1/events with s.History, paged), oldest first, and sets
// s.After to the last one so the stream goes on from there.
func history(s *Spec, opts Options, e *emitter) error {
	q := url.Values{}
	for k, v := range s.History {
		q[k] = append([]string(nil), v...)
	}
	q.Set("since", opts.Since.UTC().Format(time.RFC3339Nano))
	q.Set("limit", fmt.Sprint(historyLimit))
	u := *s.Gateway
	u.Path = strings.TrimRight(u.Path, "/") + "/api/v1/events"
	u.RawPath = ""
	for {
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return err
		}
		req.Header = headerFor(*s, opts)
		resp, err := opts.HTTPClient.Do(req)
		if err != nil {
			return fmt.Errorf("%s: cannot read the events since %s: %w", s.Name, opts.Since.Format(time.RFC3339), err)
		}
		if resp.StatusCode != http.StatusOK {
			se := statusError(s.Name, resp)
			resp.Body.Close()
			return se
		}
		var page struct {
			Items []struct {
				Cursor     string          `json:"cursor"`
				ReceivedAt time.Time       `json:"received_at"`
				Event      json.RawMessage `json:"event"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s: cannot read the events since %s: %w", s.Name, opts.Since.Format(time.RFC3339), err)
		}
		for _, r := range page.Items {
			cursor := r.Cursor
			if s.ResumeAfter {
				cursor = "" // the composite stream resumes by composite id
			}
			it := newItem(s.Name, s.Family, cursor, r.Event, r.ReceivedAt)
			e.item(it)
			if it.Cursor != "" {
				s.After = it.Cursor
			}
		}
		if page.NextCursor == "" || page.NextCursor == q.Get("after") || len(page.Items) == 0 {
			return nil
		}
		q.Set("after", page.NextCursor)
	}
}
