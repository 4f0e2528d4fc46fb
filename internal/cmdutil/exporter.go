package cmdutil

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/ansi"
	"gopkg.in/yaml.v3"

	"github.com/evtctl/evtctl/internal/iostreams"
)

// Output formats of docs/contract.md#cli-globals: -o table|json|yaml|id, -q = -o id.
const (
	OutputTable = "table"
	OutputJSON  = "json"
	OutputYAML  = "yaml"
	OutputID    = "id"
)

// ValidateOutput accepts the formats of -o; anything else is a usage error.
// The empty string means the default, table.
func ValidateOutput(format string) error {
	switch format {
	case "", OutputTable, OutputJSON, OutputYAML, OutputID:
		return nil
	}
	return FlagErrorf("invalid output format %q: use table, json, yaml or id", format)
}

// NoIDOutput is the usage error for -q or -o id on a command whose output
// has no id (what names it, e.g. "a load test report"). Commands that change
// something check it before acting, so a script never sees a failure for
// work that was done.
func NoIDOutput(f *Factory, what string) error {
	if f.Globals != nil && (f.Globals.Quiet || f.Globals.Output == OutputID) {
		return FlagErrorf("%s has no id: use -o table, json or yaml", what)
	}
	return nil
}

// Column is one column of the table format. Exactly one of Value and Time is
// set; Col and TimeCol build them.
//
// The json, yaml and id formats ignore columns: they render the value itself,
// so what a script sees is exactly what the API returned.
type Column[T any] struct {
	Header string
	Value  func(T) string
	// Time marks a timestamp column: relative ("3m ago") on a terminal,
	// RFC 3339 otherwise. The zero time renders as an empty cell.
	Time func(T) time.Time
}

// Col is a text column.
func Col[T any](header string, value func(T) string) Column[T] {
	return Column[T]{Header: header, Value: value}
}

// TimeCol is a timestamp column.
func TimeCol[T any](header string, value func(T) time.Time) Column[T] {
	return Column[T]{Header: header, Time: value}
}

// timeNow is replaced in tests so relative times are stable.
var timeNow = time.Now

// Print renders a list of resources in the format chosen by -o:
//
//   - table: on a terminal, aligned columns under a header (bold when colour
//     is on), or "No results." on stderr for an empty list; otherwise
//     tab-separated values, one item per line, no header.
//   - json: a pretty JSON array of the items, with the API's field names.
//   - yaml: the same data as YAML.
//   - id: the "id" field of each item, one per line.
func Print[T any](f *Factory, items []T, cols []Column[T]) error {
	format, err := outputFormat(f)
	if err != nil {
		return err
	}
	ios := f.IOStreams
	switch format {
	case OutputJSON:
		if items == nil {
			items = []T{} // [] rather than null
		}
		return WriteJSON(f, items)
	case OutputYAML:
		if items == nil {
			items = []T{}
		}
		return writeYAML(ios.Out, items)
	case OutputID:
		return writeIDs(ios.Out, items)
	}
	if len(items) == 0 {
		if ios.IsStdoutTTY() {
			_, err := fmt.Fprintln(ios.ErrOut, "No results.")
			return err
		}
		return nil
	}
	return writeTable(ios, items, cols)
}

// PrintOne renders a single resource (the answer of get, create, update):
// json and yaml give the object, id its id, and table one "HEADER  value"
// line per column on a terminal or a single tab-separated line otherwise
// (the same line Print would write for it in a list).
func PrintOne[T any](f *Factory, item T, cols []Column[T]) error {
	format, err := outputFormat(f)
	if err != nil {
		return err
	}
	ios := f.IOStreams
	switch format {
	case OutputJSON:
		return WriteJSON(f, item)
	case OutputYAML:
		return writeYAML(ios.Out, item)
	case OutputID:
		return writeIDs(ios.Out, []T{item})
	}
	if !ios.IsStdoutTTY() {
		return writeTable(ios, []T{item}, cols)
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	for _, c := range cols {
		header := c.Header
		if ios.ColorEnabled() {
			header = bold(header)
		}
		// The escape codes are the same length on every line, so the
		// values stay aligned.
		fmt.Fprintf(tw, "%s\t%s\n", header, cell(c, item, true))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = ios.Out.Write(buf.Bytes())
	return err
}

func outputFormat(f *Factory) (string, error) {
	format := ""
	if f.Globals != nil {
		format = f.Globals.Output
		if f.Globals.Quiet {
			format = OutputID
		}
	}
	if err := ValidateOutput(format); err != nil {
		return "", err
	}
	if format == "" {
		format = OutputTable
	}
	return format, nil
}

func writeTable[T any](ios *iostreams.IOStreams, items []T, cols []Column[T]) error {
	tty := ios.IsStdoutTTY()
	var buf bytes.Buffer
	if !tty {
		for _, it := range items {
			for i, c := range cols {
				if i > 0 {
					buf.WriteByte('\t')
				}
				buf.WriteString(cell(c, it, false))
			}
			buf.WriteByte('\n')
		}
		_, err := ios.Out.Write(buf.Bytes())
		return err
	}

	rows := make([][]string, 0, len(items)+1)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Header
	}
	rows = append(rows, header)
	for _, it := range items {
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = cell(c, it, true)
		}
		rows = append(rows, row)
	}
	fitColumns(rows, cols, ios.TerminalWidth())
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	for _, row := range rows {
		io.WriteString(tw, strings.Join(row, "\t"))
		io.WriteString(tw, "\n")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Empty trailing cells leave padding behind; drop it.
	lines := strings.SplitAfter(buf.String(), "\n")
	var out strings.Builder
	for i, l := range lines {
		if l == "" {
			continue
		}
		l = strings.TrimRight(l, " \n")
		if i == 0 && ios.ColorEnabled() {
			// Bold the header after alignment: escape codes inside the
			// tabwriter would count as width and skew the columns.
			l = bold(l)
		}
		out.WriteString(l)
		out.WriteByte('\n')
	}
	_, err := io.WriteString(ios.Out, out.String())
	return err
}

// minColumn is the narrowest a truncated column gets (its header may be
// cut as well).
const minColumn = 8

// fitColumns truncates cells, with "…", so the table fits in width
// (columns are separated by two spaces). The first column (the id or name
// a script or the next command needs) and timestamps are kept whole; the
// widest of the other columns is narrowed first, so long free text
// (descriptions, URLs, JSON) gives way before short values. A table that
// cannot fit even so is left wider than the terminal.
func fitColumns[T any](rows [][]string, cols []Column[T], width int) {
	if width <= 0 || len(cols) == 0 {
		return
	}
	widths := make([]int, len(cols))
	for _, row := range rows {
		for i, c := range row {
			if w := ansi.StringWidth(c); w > widths[i] {
				widths[i] = w
			}
		}
	}
	total := 2 * (len(cols) - 1)
	for _, w := range widths {
		total += w
	}
	limit := append([]int(nil), widths...)
	for total > width {
		widest := -1
		for i := 1; i < len(cols); i++ {
			if cols[i].Time == nil && limit[i] > minColumn && (widest < 0 || limit[i] > limit[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break
		}
		// Narrow it to the next widest column's width at once, or just
		// enough.
		next := minColumn
		for i := 1; i < len(cols); i++ {
			if i != widest && cols[i].Time == nil && limit[i] < limit[widest] && limit[i] > next {
				next = limit[i]
			}
		}
		cut := min(limit[widest]-next, total-width)
		if cut <= 0 {
			cut = 1
		}
		limit[widest] -= cut
		total -= cut
	}
	for _, row := range rows {
		for i, c := range row {
			if limit[i] < widths[i] && ansi.StringWidth(c) > limit[i] {
				row[i] = ansi.Truncate(c, limit[i], "…")
			}
		}
	}
}

// cell renders one value, flattened to a single line so neither the table
// nor the TSV rows can be broken by the data.
func cell[T any](c Column[T], item T, tty bool) string {
	if c.Time != nil {
		t := c.Time(item)
		if t.IsZero() {
			return ""
		}
		if tty {
			return RelativeTime(t, timeNow())
		}
		return t.Format(time.RFC3339)
	}
	if c.Value == nil {
		return ""
	}
	return cellReplacer.Replace(c.Value(item))
}

var cellReplacer = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ")

func bold(s string) string { return "\x1b[1m" + s + "\x1b[0m" }

// RelativeTime renders t relative to now the way a terminal table shows
// timestamps: "just now", "45s ago", "3m ago", "2h ago", "5d ago", "in 3m";
// past 30 days, the date.
func RelativeTime(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		s = fmt.Sprintf("%dh", int(d/time.Hour))
	case d < 30*24*time.Hour:
		s = fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	default:
		return t.Local().Format("2006-01-02")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "<" and "&" as the API sent them
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeYAML goes through JSON so the keys are the API's field names (not Go
// names), in the API's order, and numbers keep their spelling: JSON is YAML,
// so the JSON text is parsed as a YAML node tree and re-emitted in block
// style.
func writeYAML(w io.Writer, v any) error {
	data, err := marshalJSON(v)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	blockStyle(&doc)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	return enc.Close()
}

// blockStyle drops the flow and quoting styles the JSON text implied; the
// encoder re-quotes scalars that need it (a string "123" stays a string).
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

func writeIDs[T any](w io.Writer, items []T) error {
	var buf bytes.Buffer
	for _, it := range items {
		id, err := itemID(it)
		if err != nil {
			return err
		}
		buf.WriteString(id)
		buf.WriteByte('\n')
	}
	_, err := w.Write(buf.Bytes())
	return err
}

var errNoID = errors.New("this output has no id: use -o json or -o table")

// itemID reads the "id" field of the item's JSON form.
func itemID(item any) (string, error) {
	data, err := json.Marshal(item)
	if err != nil {
		return "", err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return "", errNoID
	}
	raw, ok := obj["id"]
	if !ok || string(raw) == "null" {
		return "", errNoID
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	return string(raw), nil // a numeric id, as spelled
}
