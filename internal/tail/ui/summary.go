package ui

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/evtctl/evtctl/internal/tail"
	"github.com/evtctl/evtctl/pkg/proto"
)

// summary is the short text of the list's last column. It decodes only
// what it shows, and only for the rows on screen.
func summary(it *tail.Item) string {
	switch it.Family {
	case proto.FamilySound:
		var v struct {
			LabelID     string   `json:"label_id"`
			Confidence  *float64 `json:"confidence"`
			Description string   `json:"description"`
		}
		if json.Unmarshal(it.Event, &v) == nil {
			return join(v.LabelID, conf(v.Confidence), v.Description)
		}
	case proto.FamilyAnalysis:
		var v struct {
			Detections []struct {
				Type       string   `json:"type"`
				Confidence *float64 `json:"confidence"`
			} `json:"detections"`
		}
		if json.Unmarshal(it.Event, &v) == nil {
			parts := []string{plural(len(v.Detections), "detection")}
			for i, d := range v.Detections {
				if i == 3 {
					parts = append(parts, "…")
					break
				}
				parts = append(parts, join(d.Type, conf(d.Confidence)))
			}
			return strings.Join(parts, ", ")
		}
	case proto.FamilyIdentification:
		var v struct {
			Camera struct {
				Title string `json:"title"`
			} `json:"camera"`
			Candidates []struct {
				Confidence *float64 `json:"confidence"`
				Profile    struct {
					ID string `json:"id"`
				} `json:"profile"`
			} `json:"candidates"`
		}
		if json.Unmarshal(it.Event, &v) == nil {
			s := plural(len(v.Candidates), "candidate")
			if len(v.Candidates) > 0 {
				c := v.Candidates[0]
				s += ", best " + join(shortID(c.Profile.ID), conf(c.Confidence))
			}
			return join(s, v.Camera.Title)
		}
	case proto.FamilyComposite:
		var v struct {
			GroupKey string            `json:"group_key"`
			Events   []json.RawMessage `json:"events"`
			Rule     struct {
				Name string `json:"name"`
			} `json:"rule"`
		}
		if json.Unmarshal(it.Event, &v) == nil {
			return join(v.GroupKey, plural(len(v.Events), "event"), v.Rule.Name)
		}
	}
	s := string(it.Event)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func conf(c *float64) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%.2f", *c)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// shortID keeps UUIDs readable in a column: their first group.
func shortID(id string) string {
	if len(id) == 36 && strings.Count(id, "-") == 4 {
		return id[:8]
	}
	return id
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}
