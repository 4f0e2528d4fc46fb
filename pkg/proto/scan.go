package proto

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// A small validating JSON reader for Extract. encoding/json would validate the whole input
// and then decode it in a second pass, byte by byte through a state machine; the ingest path
// runs for every event (100,000 a second), so Extract reads the input once with this
// reader, visiting only the members it needs and skipping (while validating) the rest.
//
// It accepts exactly what json.Valid accepts (the fuzz tests check this), including its
// nesting limit, so an event Extract accepts is one every JSON library can read.

type kind uint8

const (
	kindAbsent kind = iota // member not present
	kindNull
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// val is one value read: its kind and raw bytes data[start:end].
type val struct {
	k          kind
	start, end int
	// slow is set for strings holding escapes or non-ASCII bytes: their text must be
	// decoded by encoding/json rather than copied, so that Extract and the typed decoders
	// agree on every string (invalid UTF-8 becomes U+FFFD in both).
	slow bool
}

type reader struct {
	data  []byte
	pos   int
	depth int
	err   string // first syntax error; once set every read fails fast
	off   int    // offset of err
	// suspect is set when a string holds bytes that are not UTF-8 or a
	// number may not fit a float64 (an exponent, or more than 15 digits):
	// valid JSON that strict parsers refuse. Extract then walks the input
	// again to name the fields (strict.go); the common input pays nothing.
	suspect bool
}

// strSafe marks the bytes a string may hold without a closer look.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (r *reader) failed() bool { return r.err != "" }

// fail records the first syntax error and moves to the end so that every loop stops.
func (r *reader) fail(msg string) {
	if r.err == "" {
		r.err, r.off = msg, r.pos
	}
	r.pos = len(r.data)
}

func (r *reader) failHere(context string) {
	if r.pos >= len(r.data) {
		r.fail("unexpected end of JSON input")
		return
	}
	r.fail("invalid character " + quoteChar(r.data[r.pos]) + " " + context)
}

// syntaxError renders the recorded error as a FieldError reason.
func (r *reader) syntaxError() string {
	if r.err == "unexpected end of JSON input" {
		return "is not valid JSON: " + r.err
	}
	return "is not valid JSON: " + r.err + " at offset " + strconv.Itoa(r.off)
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	if c >= 0x80 {
		s = `"\x` + strconv.FormatUint(uint64(c), 16) + `"`
	}
	return "'" + s[1:len(s)-1] + "'"
}

func (r *reader) ws() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (r *reader) peek() byte {
	r.ws()
	if r.pos < len(r.data) {
		return r.data[r.pos]
	}
	return 0
}

// end checks that nothing but whitespace follows the top-level value.
func (r *reader) end() {
	r.ws()
	if r.pos < len(r.data) {
		r.failHere("after top-level value")
	}
}

// value reads and validates one value of any kind. After a syntax error it returns the
// zero val (kindAbsent), whose span must not be used.
func (r *reader) value() val {
	v := r.value1()
	if r.failed() {
		return val{}
	}
	return v
}

func (r *reader) value1() val {
	r.ws()
	if r.pos >= len(r.data) {
		r.fail("unexpected end of JSON input")
		return val{}
	}
	start := r.pos
	switch c := r.data[r.pos]; c {
	case '"':
		slow := r.str()
		return val{k: kindString, start: start, end: r.pos, slow: slow}
	case '{':
		r.skipObject()
		return val{k: kindObject, start: start, end: r.pos}
	case '[':
		r.skipArray()
		return val{k: kindArray, start: start, end: r.pos}
	case 't':
		r.lit("true")
		return val{k: kindBool, start: start, end: r.pos}
	case 'f':
		r.lit("false")
		return val{k: kindBool, start: start, end: r.pos}
	case 'n':
		r.lit("null")
		return val{k: kindNull, start: start, end: r.pos}
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			r.num()
			return val{k: kindNumber, start: start, end: r.pos}
		}
		r.failHere("looking for beginning of value")
		return val{}
	}
}

func (r *reader) lit(word string) {
	for i := 0; i < len(word); i++ {
		if r.pos >= len(r.data) || r.data[r.pos] != word[i] {
			r.failHere("in literal " + word + " (expecting " + quoteChar(word[i]) + ")")
			return
		}
		r.pos++
	}
}

func (r *reader) num() {
	d := r.data
	i := r.pos
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		r.pos = i
		r.failHere("in numeric literal")
		return
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			r.pos = i
			r.failHere("after decimal point in numeric literal")
			return
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			r.pos = i
			r.failHere("in exponent of numeric literal")
			return
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	// float64 holds any 15-digit number exactly and none needs an
	// exponent to overflow unless it is this long; anything else is
	// looked at again by StrictProblems.
	if i-r.pos > 16 || hasExp(d[r.pos:i]) {
		r.suspect = true
	}
	r.pos = i
}

func hasExp(num []byte) bool {
	for _, c := range num {
		if c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}

// str reads a string starting at its opening quote and reports whether its text needs
// decoding (escapes or non-ASCII bytes).
func (r *reader) str() (slow bool) {
	d := r.data
	i := r.pos + 1
	for {
		for i < len(d) && strSafe[d[i]] {
			i++
		}
		if i >= len(d) {
			r.pos = i
			r.fail("unexpected end of JSON input")
			return false
		}
		switch c := d[i]; {
		case c == '"':
			r.pos = i + 1
			return slow
		case c == '\\':
			slow = true
			i++
			if i >= len(d) {
				r.pos = i
				r.fail("unexpected end of JSON input")
				return false
			}
			switch d[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				i++
				for n := 0; n < 4; n++ {
					if i >= len(d) || !isHex(d[i]) {
						r.pos = i
						r.failHere("in \\u hexadecimal character escape")
						return false
					}
					i++
				}
			default:
				r.pos = i
				r.failHere("in string escape code")
				return false
			}
		case c >= 0x80:
			slow = true
			if c, size := utf8.DecodeRune(d[i:]); c == utf8.RuneError && size == 1 {
				r.suspect = true
				i++
			} else {
				i += size
			}
		default: // control character
			r.pos = i
			r.failHere("in string literal")
			return false
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// begin enters the object or array whose opening byte is at r.pos.
func (r *reader) begin() bool {
	r.depth++
	if r.depth > maxDepth {
		r.fail("exceeded max depth")
		return false
	}
	r.pos++
	return true
}

// next advances to the next element of the container begun last, consuming the comma
// between elements; it returns false (having consumed the closing byte) at the end or on a
// syntax error. n counts the elements read so far; the caller starts it at 0 and may use
// n-1 as the current index.
func (r *reader) next(closer byte, n *int) bool {
	r.ws()
	if r.pos >= len(r.data) {
		r.fail("unexpected end of JSON input")
		return false
	}
	c := r.data[r.pos]
	if c == closer {
		r.pos++
		r.depth--
		return false
	}
	if *n > 0 {
		if c != ',' {
			if closer == '}' {
				r.failHere("after object key:value pair")
			} else {
				r.failHere("after array element")
			}
			return false
		}
		r.pos++
		if closer == ']' {
			// "[1,]": after a comma only a value may follow; value() reports it.
			r.ws()
		}
	}
	*n++
	return !r.failed()
}

// key reads an object key and its colon and returns the key's text. The returned slice
// aliases the input unless the key holds escapes.
func (r *reader) key() []byte {
	r.ws()
	if r.pos >= len(r.data) || r.data[r.pos] != '"' {
		r.failHere("looking for beginning of object key string")
		return nil
	}
	start := r.pos
	slow := r.str()
	if r.failed() {
		return nil
	}
	k := r.data[start+1 : r.pos-1]
	if slow {
		k = []byte(r.text(val{k: kindString, start: start, end: r.pos, slow: true}))
	}
	r.ws()
	if r.pos >= len(r.data) || r.data[r.pos] != ':' {
		r.failHere("after object key")
		return nil
	}
	r.pos++
	return k
}

func (r *reader) skipObject() {
	if !r.begin() {
		return
	}
	n := 0
	for r.next('}', &n) {
		r.key()
		r.value()
	}
}

func (r *reader) skipArray() {
	if !r.begin() {
		return
	}
	n := 0
	for r.next(']', &n) {
		r.value()
	}
}

// text returns the decoded text of a string value.
func (r *reader) text(v val) string {
	raw := r.data[v.start:v.end]
	if !v.slow || (!hasByte(raw, '\\') && utf8.Valid(raw)) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // raw is a validated string: cannot fail
	return s
}

// rawText returns the bytes of a string value's text, without copying when possible.
func (r *reader) rawText(v val) []byte {
	if v.slow {
		return []byte(r.text(v))
	}
	return r.data[v.start+1 : v.end-1]
}

// empty reports whether a string value is "".
func (v val) empty() bool { return v.end-v.start == 2 }

func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}
