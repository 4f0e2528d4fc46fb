package proto

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// AppendCompact appends src to dst with insignificant whitespace removed, so each event is
// one line (NDJSON, SSE data lines, WebSocket messages) while keeping member order, number
// spellings and string escapes exactly as ingested. src must be valid JSON; otherwise the
// result is unspecified (but AppendCompact does not panic).
//
// Unlike json.Compact it does not validate again: the caller has already validated src
// with Extract. When src holds no space, tab, CR or LF at all (already compact, the common
// case for machine senders) it costs one copy.
func AppendCompact(dst, src []byte) []byte {
	if !hasSpace(src) {
		return append(dst, src...)
	}
	dst = slices.Grow(dst, len(src)) // amortised, like append: many events into one buffer stay linear
	for i := 0; i < len(src); {
		c := src[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			i++
		case '"':
			// Copy the string whole: whitespace inside it is significant.
			j := stringEnd(src, i)
			dst = append(dst, src[i:j]...)
			i = j
		default:
			// A run of structural characters, numbers and literals.
			j := i + 1
			for j < len(src) && src[j] > ' ' && src[j] != '"' {
				j++
			}
			dst = append(dst, src[i:j]...)
			i = j
		}
	}
	return dst
}

// stringEnd returns the index just past the string that opens at src[i], or len(src) if
// it is unterminated.
func stringEnd(src []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(src[j:], '"')
		if k < 0 {
			return len(src)
		}
		j += k
		// The quote is escaped if an odd number of backslashes precede it.
		n := 0
		for b := j - 1; b > i && src[b] == '\\'; b-- {
			n++
		}
		j++
		if n%2 == 0 {
			return j
		}
	}
}

// hasSpace reports whether src holds a byte <= ' '. In valid JSON those can only be the four
// whitespace bytes (control characters are not allowed even inside strings). It tests
// eight bytes at a time because it runs on every ingested event.
func hasSpace(src []byte) bool {
	const (
		lo = 0x2121212121212121 // ' '+1 in every byte
		hi = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(src); i += 8 {
		x := binary.LittleEndian.Uint64(src[i:])
		// Sets a byte's high bit iff that byte is < 0x21 (for bytes < 0x80; bytes >= 0x80
		// are excluded by &^x).
		if (x-lo)&^x&hi != 0 {
			return true
		}
	}
	for ; i < len(src); i++ {
		if src[i] <= ' ' {
			return true
		}
	}
	return false
}
