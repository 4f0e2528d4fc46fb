package store

import (
	"fmt"
	"strings"
)

// SubjectPrefix is the first token of every event subject.
const SubjectPrefix = "evt"

// emptyToken stands for an absent attribute (an event without an agent).
const emptyToken = "_"

// Token encodes one attribute value as a single NATS subject token. NATS
// tokens may not contain '.', '*', '>' or white space, and tenants or device
// ids are user data, so everything outside a conservative set is
// percent-escaped. The encoding is reversible and stable: the same value
// always yields the same token, which filters rely on.
func Token(v string) string {
	if v == "" {
		return emptyToken
	}
	if v == emptyToken {
		return "%5F"
	}
	safe := true
	for i := 0; i < len(v); i++ {
		if !safeByte(v[i]) {
			safe = false
			break
		}
	}
	if safe {
		return v
	}
	var b strings.Builder
	b.Grow(len(v) + 8)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if safeByte(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func safeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == ':' || c == '@' || c == '+' || c == '='
}

// Untoken reverses Token.
func Untoken(t string) string {
	if t == emptyToken {
		return ""
	}
	if !strings.Contains(t, "%") {
		return t
	}
	b := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		if t[i] == '%' && i+2 < len(t) {
			if v, ok := unhex(t[i+1]); ok {
				if w, ok := unhex(t[i+2]); ok {
					b = append(b, v<<4|w)
					i += 2
					continue
				}
			}
		}
		b = append(b, t[i])
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Address is the decoded form of an event subject.
type Address struct {
	Family    string
	Owner     string
	DeviceID  string
	AgentID   string
	EventType string
}

// Subject returns the subject for an address.
func (a Address) Subject() string {
	return SubjectPrefix + "." + Token(a.Family) + "." + Token(a.Owner) + "." + Token(a.DeviceID) + "." + Token(a.AgentID) + "." + Token(a.EventType)
}

// ParseSubject decodes an event subject.
func ParseSubject(s string) (Address, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 6 || parts[0] != SubjectPrefix {
		return Address{}, fmt.Errorf("not an event subject: %q", s)
	}
	return Address{
		Family:    Untoken(parts[1]),
		Owner:     Untoken(parts[2]),
		DeviceID:  Untoken(parts[3]),
		AgentID:   Untoken(parts[4]),
		EventType: Untoken(parts[5]),
	}, nil
}

// Filter selects events by address; an empty field matches any value.
type Filter struct {
	Family    string
	Owner     string
	DeviceID  string
	AgentID   string
	EventType string
}

// Subject returns the subject filter (with '*' wildcards) for f.
func (f Filter) Subject() string {
	tok := func(v string) string {
		if v == "" {
			return "*"
		}
		return Token(v)
	}
	return SubjectPrefix + "." + tok(f.Family) + "." + tok(f.Owner) + "." + tok(f.DeviceID) + "." + tok(f.AgentID) + "." + tok(f.EventType)
}

// CompositeAddress is where a composite event is stored. Composites have no
// device, so the device token carries the composite id instead: that makes
// "get composite by id" a direct last-message-for-subject lookup.
func CompositeAddress(owner, id string) Address {
	return Address{Family: "composite", Owner: owner, DeviceID: id, EventType: "composite"}
}

// RoutingDevice is the device id of the event for filtering purposes
// (composites have none; see CompositeAddress).
func (a Address) RoutingDevice() string {
	if a.Family == "composite" {
		return ""
	}
	return a.DeviceID
}
