package cmdutil

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/itchyny/gojq"
)

// CheckJQ compiles --jq (and rejects it with -o yaml, -o id or -q): a bad
// expression is a usage error raised before anything is sent. The root
// command calls it for every command; outputChanged says whether -o was
// given explicitly (--jq implies -o json, so only an explicit other format
// conflicts).
func CheckJQ(f *Factory, outputChanged bool) error {
	g := f.Globals
	if g == nil || g.JQ == "" {
		return nil
	}
	if g.Quiet || (outputChanged && g.Output != OutputJSON && g.Output != "") {
		return FlagErrorf("--jq filters the JSON output: it cannot be combined with -o %s", map[bool]string{true: "id (-q)", false: g.Output}[g.Quiet])
	}
	g.Output = OutputJSON
	_, err := f.jqCode()
	return err
}

func (f *Factory) jqCode() (*gojq.Code, error) {
	if f.jq != nil || f.Globals == nil || f.Globals.JQ == "" {
		return f.jq, nil
	}
	q, err := gojq.Parse(f.Globals.JQ)
	if err != nil {
		return nil, FlagErrorf("invalid --jq expression %q: %v", f.Globals.JQ, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, FlagErrorf("invalid --jq expression %q: %v", f.Globals.JQ, err)
	}
	f.jq = code
	return code, nil
}

// WriteJSON writes v as pretty JSON to standard output, or, with --jq, the
// results of the expression over it (see WriteJSONLine).
func WriteJSON(f *Factory, v any) error {
	data, err := marshalJSON(v)
	if err != nil {
		return err
	}
	return emitJSON(f, data, false)
}

// WriteJSONLine writes one compact JSON value on a line (NDJSON output such
// as `events query -o json`), or, with --jq, the results of the expression
// over that value, one per line: strings raw, everything else as JSON
// (indented on a terminal, compact otherwise), as gh prints them.
func WriteJSONLine(f *Factory, raw []byte) error {
	return emitJSON(f, raw, true)
}

func emitJSON(f *Factory, data []byte, line bool) error {
	out := f.IOStreams.Out
	code, err := f.jqCode()
	if err != nil {
		return err
	}
	if code == nil {
		if line {
			var buf bytes.Buffer
			if err := json.Compact(&buf, data); err != nil {
				return err
			}
			buf.WriteByte('\n')
			_, err := out.Write(buf.Bytes())
			return err
		}
		_, err := out.Write(data)
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var input any
	if err := dec.Decode(&input); err != nil {
		return err
	}
	return runJQ(code, input, out, f.IOStreams.IsStdoutTTY())
}

func runJQ(code *gojq.Code, input any, out io.Writer, indent bool) error {
	var buf bytes.Buffer
	iter := code.Run(input)
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := v.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break
			}
			out.Write(buf.Bytes())
			return fmt.Errorf("--jq: %v", err)
		}
		if s, ok := v.(string); ok {
			buf.WriteString(s)
			buf.WriteByte('\n')
			continue
		}
		b, err := gojq.Marshal(v)
		if err != nil {
			return fmt.Errorf("--jq: %v", err)
		}
		if indent {
			var ib bytes.Buffer
			if json.Indent(&ib, b, "", "  ") == nil {
				b = ib.Bytes()
			}
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	_, err := out.Write(buf.Bytes())
	return err
}

// JQFilter returns --jq as a function that writes its results over one JSON
// value to w (strings raw, other values compact JSON, one a line), for
// commands that write a stream of JSON values themselves (tail); nil
// without --jq.
func JQFilter(f *Factory) (func(w io.Writer, raw []byte) error, error) {
	code, err := f.jqCode()
	if err != nil || code == nil {
		return nil, err
	}
	return func(w io.Writer, raw []byte) error {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var input any
		if err := dec.Decode(&input); err != nil {
			return err
		}
		return runJQ(code, input, w, false)
	}, nil
}
