package composite

import (
	"encoding/json"
	"errors"
)

var errNotObject = errors.New("not a JSON object")

// eachMember calls f with the name and raw value of each member of the
// JSON object data, in document order (all of them: f cannot stop the
// scan). Values are subslices of data, whitespace inside them kept, so they
// can be copied byte for byte; compact reports whether data holds no
// whitespace outside strings, so a caller may copy it without compacting.
// It is a splitter, not a validator: the composite engine only sees events
// that passed proto.Extract on ingest. It does reject what is structurally
// not an object (and never reads out of bounds).
func eachMember(data []byte, f func(name, raw []byte)) (compact bool, err error) {
	s := scanner{data: data}
	i := s.skipSpace(0)
	if i >= len(data) || data[i] != '{' {
		return false, errNotObject
	}
	i = s.skipSpace(i + 1)
	if i < len(data) && data[i] == '}' {
		return s.compactTo(i + 1), nil
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return false, errNotObject
		}
		end, escaped := scanString(data, i)
		if end < 0 {
			return false, errNotObject
		}
		name := data[i+1 : end-1]
		if escaped {
			var u string
			if err := json.Unmarshal(data[i:end], &u); err != nil {
				return false, err
			}
			name = []byte(u)
		}
		i = s.skipSpace(end)
		if i >= len(data) || data[i] != ':' {
			return false, errNotObject
		}
		i = s.skipSpace(i + 1)
		vEnd := s.scanValue(i)
		if vEnd < 0 {
			return false, errNotObject
		}
		f(name, data[i:vEnd])
		i = s.skipSpace(vEnd)
		if i >= len(data) {
			return false, errNotObject
		}
		switch data[i] {
		case ',':
			i = s.skipSpace(i + 1)
		case '}':
			return s.compactTo(i + 1), nil
		default:
			return false, errNotObject
		}
	}
}

// scanner notes whether it stepped over whitespace outside strings.
type scanner struct {
	data   []byte
	spaced bool
}

// compactTo reports whether the object ending before i is all of data
// and had no whitespace outside strings, trailing whitespace included (so
// the end is skipped before spaced is read).
func (s *scanner) compactTo(i int) bool {
	end := s.skipSpace(i)
	return !s.spaced && end == len(s.data)
}

func (s *scanner) skipSpace(i int) int {
	for i < len(s.data) {
		switch s.data[i] {
		case ' ', '\t', '\r', '\n':
			s.spaced = true
			i++
		default:
			return i
		}
	}
	return i
}

// scanString returns the index just past the string opening at data[i]
// (-1 if unterminated) and whether it holds escapes.
func scanString(data []byte, i int) (end int, escaped bool) {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '"':
			return j + 1, escaped
		case '\\':
			escaped = true
			j++
		}
	}
	return -1, escaped
}

// scanValue returns the index just past the value starting at data[i], or
// -1 when it is empty, unbalanced or unterminated.
func (s *scanner) scanValue(i int) int {
	data := s.data
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		end, _ := scanString(data, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, _ := scanString(data, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case ' ', '\t', '\r', '\n':
				s.spaced = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default: // number, true, false, null
		j := i
		for j < len(data) {
			c := data[j]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				break
			}
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}
