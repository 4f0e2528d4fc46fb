package tail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/evtctl/evtctl/pkg/proto"
)

// Filter selects the events tail handles (stern's habits): every non-empty
// field must hold. Families, Devices and Types match exactly (any of the
// values); an event passes Include when one of its expressions matches the
// event's JSON line, and fails Exclude when one does.
type Filter struct {
	Families         []proto.Family
	Devices, Types   []string
	Include, Exclude []*regexp.Regexp
}

// Match reports whether it is selected.
func (f *Filter) Match(it *Item) bool {
	if f == nil {
		return true
	}
	if len(f.Families) > 0 && !slices.Contains(f.Families, it.Family) {
		return false
	}
	if len(f.Devices) > 0 && !slices.Contains(f.Devices, it.Routing.DeviceID) {
		return false
	}
	if len(f.Types) > 0 && !slices.Contains(f.Types, it.Routing.EventType) {
		return false
	}
	if len(f.Include) > 0 && !slices.ContainsFunc(f.Include, func(re *regexp.Regexp) bool { return re.Match(it.Event) }) {
		return false
	}
	return !slices.ContainsFunc(f.Exclude, func(re *regexp.Regexp) bool { return re.Match(it.Event) })
}

// TemplateData is what a --template sees: {{.Event.label_id}},
// {{.Source}}, {{.ReceivedAt.Format "15:04:05"}}, {{json .Event}}.
type TemplateData struct {
	Source, Family, Cursor string
	Device, Agent, Type    string
	ReceivedAt             time.Time
	// Event is the payload decoded (objects are maps: {{.Event.mic_id}}).
	Event any
	// JSON is the payload's JSON line as received.
	JSON string
}

// ParseTemplate parses a --template; its functions are json (a value as
// compact JSON) and the text/template built-ins.
func ParseTemplate(text string) (*template.Template, error) {
	return template.New("template").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}).Parse(text)
}

// WriteTemplate executes t over it, adding a newline unless the output
// ends with one.
func WriteTemplate(w *bytes.Buffer, t *template.Template, it Item) error {
	d := TemplateData{
		Source: it.Source, Family: string(it.Family), Cursor: it.Cursor,
		Device: it.Routing.DeviceID, Agent: it.Routing.AgentID, Type: it.Routing.EventType,
		ReceivedAt: it.ReceivedAt, JSON: string(it.Event),
	}
	dec := json.NewDecoder(bytes.NewReader(it.Event))
	dec.UseNumber() // numbers print as sent
	if dec.Decode(&d.Event) != nil {
		d.Event = string(it.Event)
	}
	start := w.Len()
	if err := t.Execute(w, d); err != nil {
		return fmt.Errorf("--template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	if w.Len() == start || w.Bytes()[w.Len()-1] != '\n' {
		w.WriteByte('\n')
	}
	return nil
}
