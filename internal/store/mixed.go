package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
)

// A mixed bundle holds consecutive events of one batch that share family,
// owner and watchlists but not device, agent or event type: an edge box's
// batch interleaving its microphones would otherwise be one message per
// event, and JetStream's work per message is most of the cost of ingest.
//
// A JetStream message has one subject, so a mixed bundle is stored under
// evt.<family>.<owner>.~.~.~ ("~" is never the Token of a value: Token
// escapes it), and its headers name each event's own device, agent and
// event type. Every reader unpacks them into records with their own
// addresses (records), and readers filtering by device, agent or event type
// also ask for the mixed subject and keep only the events their filters
// match (subjectFilters). Positions, log order, de-duplication (the
// bundle's Evt-Ids and Nats-Msg-Id digest) are those of any bundle.
const (
	mixedToken = "~"
	// headerAddrs holds the distinct "device.agent.type" token triples of a
	// mixed bundle, space-separated (tokens never hold a space); headerAddrIdx
	// holds, for each event in order, the index of its triple, comma-separated.
	headerAddrs   = "Evt-Addrs"
	headerAddrIdx = "Evt-Addr-Idx"
)

// mixable reports whether events of family may share a mixed bundle. Only
// sound events do: the analysis streams ask Last for a device's subject
// (to tell an unknown device from a quiet one), which a mixed bundle would
// hide, and composites are stored one by one.
func mixable(family string) bool { return family == "sound" }

// sameStream reports whether b may follow a in one mixed bundle.
func sameStream(a, b Address) bool {
	return a.Family == b.Family && a.Owner == b.Owner && mixable(a.Family)
}

// mixedSubject is the subject of a mixed bundle of family and owner.
func mixedSubject(a Address) string {
	return SubjectPrefix + "." + Token(a.Family) + "." + Token(a.Owner) + "." + mixedToken + "." + mixedToken + "." + mixedToken
}

// isMixed reports whether a stored message's subject is a mixed bundle's.
func isMixed(subject string) bool {
	return strings.HasSuffix(subject, "."+mixedToken+"."+mixedToken+"."+mixedToken)
}

// addrTail is the device, agent and event type tokens of a subject.
func addrTail(a Address) string {
	return Token(a.DeviceID) + "." + Token(a.AgentID) + "." + Token(a.EventType)
}

// mixedHeaders sets the per-event address headers of a mixed bundle.
func mixedHeaders(hdr nats.Header, run []Entry) {
	var tails []string
	index := map[Address]int{}
	var idx strings.Builder
	for i, e := range run {
		k, ok := index[e.Address]
		if !ok {
			k = len(tails)
			index[e.Address] = k
			tails = append(tails, addrTail(e.Address))
		}
		if i > 0 {
			idx.WriteByte(',')
		}
		idx.WriteString(strconv.Itoa(k))
	}
	hdr[headerAddrs] = []string{strings.Join(tails, " ")}
	hdr[headerAddrIdx] = []string{idx.String()}
}

// mixedAddresses returns the address of each of the n events of a mixed
// bundle stored under subject.
func mixedAddresses(subject string, hdr nats.Header, n int) ([]Address, error) {
	base, err := ParseSubject(subject)
	if err != nil {
		return nil, err
	}
	var addrs []Address
	for _, tail := range strings.Split(hdr.Get(headerAddrs), " ") {
		a, err := ParseSubject(SubjectPrefix + "." + Token(base.Family) + "." + Token(base.Owner) + "." + tail)
		if err != nil {
			return nil, fmt.Errorf("bad %s header: %w", headerAddrs, err)
		}
		addrs = append(addrs, a)
	}
	out := make([]Address, 0, n)
	for s := range strings.SplitSeq(hdr.Get(headerAddrIdx), ",") {
		k, err := strconv.Atoi(s)
		if err != nil || k < 0 || k >= len(addrs) {
			return nil, fmt.Errorf("bad %s header", headerAddrIdx)
		}
		out = append(out, addrs[k])
	}
	if len(out) != n {
		return nil, fmt.Errorf("%s names %d events, the bundle holds %d", headerAddrIdx, len(out), n)
	}
	return out, nil
}

// subjectFilters returns the JetStream filters for a reader's subject
// filters — those plus the mixed-bundle subjects they need and do not
// already cover — and whether a record of a mixed bundle is one the reader
// asked for. No filters means everything, mixed bundles included.
func subjectFilters(filters []string) ([]string, func(Record) bool) {
	if len(filters) == 0 {
		return nil, func(Record) bool { return true }
	}
	out := append([]string(nil), filters...)
	for _, f := range filters {
		t := strings.Split(f, ".")
		if len(t) != 6 || t[0] != SubjectPrefix {
			continue // ">" and other shapes cover mixed subjects or are not ours
		}
		m := strings.Join([]string{t[0], t[1], t[2], mixedToken, mixedToken, mixedToken}, ".")
		covered := false
		for _, g := range out {
			if subjectMatches(g, m) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, m)
		}
	}
	keep := func(r Record) bool {
		s := r.Address.Subject()
		for _, f := range filters {
			if subjectMatches(f, s) {
				return true
			}
		}
		return false
	}
	return out, keep
}

// subjectMatches reports whether filter (with NATS's "*" and ">"
// wildcards) covers subject, or every subject subject stands for when it
// holds wildcards itself ("~" tokens are literals).
func subjectMatches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, ft := range f {
		if ft == ">" {
			return len(s) > i
		}
		if i >= len(s) {
			return false
		}
		if ft != "*" && ft != s[i] {
			return false
		}
	}
	return len(f) == len(s)
}
