package proto

import (
	"strconv"
	"unicode/utf8"
)

// Bounds of the identifiers a client sends. Every one of them becomes part
// of a NATS subject, a message header or a key in the gateway's storage, so
// they are checked where they enter (ingest, query parameters, path
// segments, stream parameters, management bodies) and the storage layer
// derives its own limits from these constants (internal/store/limits.go):
// whatever passes here is guaranteed to fit NATS's control line and header
// limits, however it is escaped.
const (
	// MaxIdentLen bounds a routing value: an event id, a device, agent or
	// watchlist id, an event type (label), a composite id. 256 bytes holds
	// any UUID, URN or path-like device name seen in the documents many
	// times over.
	MaxIdentLen = 256
	// MaxOwnerLen bounds a tenant (key owner).
	MaxOwnerLen = 128
	// MaxWatchlists bounds the distinct watchlists of one identification.
	MaxWatchlists = 64
	// MaxTimeLen bounds a time string (RFC 3339 with nanoseconds and an
	// offset is 35 bytes).
	MaxTimeLen = 64
)

// Reasons of the identifier checks; they follow the field name in a
// FieldError ("mic_id must be at most 256 bytes").
const (
	reasonUTF8    = "must be valid UTF-8"
	reasonControl = "must not contain control characters"
	reasonComma   = "must not contain ','"
)

// CheckIdent returns why v cannot be a routing value, or "" when it can:
// non-empty, at most MaxIdentLen bytes, valid UTF-8, no control characters
// (C0, DEL, C1: they would end a header line or a log line, or hide in a
// terminal). Wildcards and dots are fine: values are escaped into subject
// tokens (store.Token), never used raw.
func CheckIdent(v string) string {
	if v == "" {
		return reasonNonEmpty
	}
	if len(v) > MaxIdentLen {
		return "must be at most " + strconv.Itoa(MaxIdentLen) + " bytes"
	}
	return checkText(v)
}

// CheckOwner returns why v cannot be a tenant name, or "" when it can.
// Owners are names an operator types and reads in every log line and
// metric, so they are held to letters, digits and - _ . : @ + (an account
// slug or an e-mail address), at most MaxOwnerLen bytes.
func CheckOwner(v string) string {
	if v == "" {
		return reasonNonEmpty
	}
	if len(v) > MaxOwnerLen {
		return "must be at most " + strconv.Itoa(MaxOwnerLen) + " bytes"
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':' || c == '@' || c == '+') {
			return "must hold only letters, digits and - _ . : @ +"
		}
	}
	return ""
}

// CheckText returns why v cannot be a free-text field of at most max bytes
// (a name, a description), or "" when it can: valid UTF-8 without control
// characters. Empty is allowed; the caller decides whether it is required.
func CheckText(v string, max int) string {
	if len(v) > max {
		return "must be at most " + strconv.Itoa(max) + " bytes"
	}
	return checkText(v)
}

// checkWatchlist is CheckIdent plus no comma: watchlists travel as one
// comma-separated header.
func checkWatchlist(v string) string {
	if r := CheckIdent(v); r != "" {
		return r
	}
	for i := 0; i < len(v); i++ {
		if v[i] == ',' {
			return reasonComma
		}
	}
	return ""
}

func checkText(v string) string {
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return reasonControl
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			return reasonUTF8
		}
		if r >= 0x80 && r <= 0x9f {
			return reasonControl
		}
		i += size
	}
	return ""
}
