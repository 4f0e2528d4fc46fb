package send

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// splitRecords cuts the input of `events send` into records, each compacted
// to one line (json.Compact only drops insignificant whitespace, so field
// order and number spellings reach the gateway as written). The input is a
// JSON array of records, or one or more JSON values one after the other,
// which covers a single object and NDJSON; blank lines are skipped. A
// syntax error names the record and its line.
func splitRecords(data []byte) ([][]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM some editors write
	start := firstNonSpace(data)
	if start == len(data) {
		return nil, errors.New("no records in the input")
	}
	var out [][]byte
	add := func(raw json.RawMessage) error {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return err
		}
		out = append(out, buf.Bytes())
		return nil
	}
	if data[start] == '[' {
		dec := json.NewDecoder(bytes.NewReader(data))
		if _, err := dec.Token(); err != nil {
			return nil, syntaxError(data, 0, start, err)
		}
		for dec.More() {
			off := int(dec.InputOffset())
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, syntaxError(data, len(out), off, err)
			}
			if err := add(raw); err != nil {
				return nil, err
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, syntaxError(data, len(out), int(dec.InputOffset()), err)
		}
		if rest := firstNonSpace(data[dec.InputOffset():]); int(dec.InputOffset())+rest != len(data) {
			return nil, fmt.Errorf("unexpected data after the JSON array on line %d", lineOf(data, int(dec.InputOffset())+rest))
		}
		if len(out) == 0 {
			return nil, errors.New("no records in the input (an empty array)")
		}
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		off := int(dec.InputOffset())
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, syntaxError(data, len(out), off, err)
		}
		if err := add(raw); err != nil {
			return nil, err
		}
	}
}

func syntaxError(data []byte, index, off int, err error) error {
	// Point at the record itself, past the separator before it.
	for off < len(data) && (isSpace(data[off]) || data[off] == ',') {
		off++
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("the input ends in the middle of it")
	}
	return fmt.Errorf("record %d (line %d) is not valid JSON: %v", index, lineOf(data, off), err)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func firstNonSpace(b []byte) int {
	for i, c := range b {
		if !isSpace(c) {
			return i
		}
	}
	return len(b)
}

// lineOf is the 1-based line of byte offset off.
func lineOf(data []byte, off int) int {
	return bytes.Count(data[:min(off, len(data))], []byte("\n")) + 1
}
