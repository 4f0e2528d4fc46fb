package proto

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Summary is a short, one-line description of an event of family fam, for
// a table column (`evtctl events query`): the label and confidence of a
// sound event, the detections of an analysis result, the best candidate
// and camera of an identification, the group and event count of a
// composite. An event it cannot read is shown as its first 80 bytes.
func Summary(fam Family, event []byte) string {
	switch fam {
	case FamilySound:
		var v struct {
			LabelID     string   `json:"label_id"`
			Confidence  *float64 `json:"confidence"`
			Description string   `json:"description"`
		}
		if json.Unmarshal(event, &v) == nil {
			return joinNonEmpty(v.LabelID, confidence(v.Confidence), v.Description)
		}
	case FamilyAnalysis:
		var v struct {
			Detections []struct {
				Type       string   `json:"type"`
				Confidence *float64 `json:"confidence"`
			} `json:"detections"`
		}
		if json.Unmarshal(event, &v) == nil {
			parts := []string{plural(len(v.Detections), "detection")}
			for i, d := range v.Detections {
				if i == 3 {
					parts = append(parts, "…")
					break
				}
				parts = append(parts, joinNonEmpty(d.Type, confidence(d.Confidence)))
			}
			return strings.Join(parts, ", ")
		}
	case FamilyIdentification:
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
		if json.Unmarshal(event, &v) == nil {
			s := plural(len(v.Candidates), "candidate")
			if len(v.Candidates) > 0 {
				c := v.Candidates[0]
				s += ", best " + joinNonEmpty(shortID(c.Profile.ID), confidence(c.Confidence))
			}
			return joinNonEmpty(s, v.Camera.Title)
		}
	case FamilyComposite:
		var v struct {
			GroupKey string            `json:"group_key"`
			Events   []json.RawMessage `json:"events"`
			Rule     struct {
				Name string `json:"name"`
			} `json:"rule"`
		}
		if json.Unmarshal(event, &v) == nil {
			return joinNonEmpty(v.GroupKey, plural(len(v.Events), "event"), v.Rule.Name)
		}
	case FamilyOperational:
		var v OperationalEvent
		if json.Unmarshal(event, &v) == nil {
			return joinNonEmpty(v.Type, v.EndpointID, v.DeliveryID, v.Reason)
		}
	}
	s := string(event)
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

func confidence(c *float64) string {
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

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}
