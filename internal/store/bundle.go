package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Consecutive events of one batch with the same subject (and watchlists)
// are stored as one JetStream message, a bundle: JetStream's work per
// message (a write, a de-duplication check, an acknowledgement) is most of
// the cost of ingest, so a batch of 1,000 sound events of one microphone
// costs five messages instead of 1,000 (about 230 events of 1.1 KB fill
// the 256 KiB of a bundle). Every reader unpacks bundles
// into events with their own positions (position.go); a lone event is
// stored exactly as before bundles existed.
const (
	// headerBundle holds the number of events of a bundle, whose data is
	// their compact JSON separated by newlines.
	headerBundle = "Evt-Bundle"
	// headerIDs holds the JSON array of a bundle's event ids, so the
	// de-duplication index learns them from headers alone.
	headerIDs = "Evt-Ids"
	// maxBundleBytes keeps a bundle well under NATS's default 1 MiB
	// max_payload of an external server.
	maxBundleBytes = 256 << 10
	// bundleIDPrefix marks the Nats-Msg-Id of a bundle: a digest of its
	// events' identities, so a retried request is recognised by JetStream
	// even by a node whose index has not learnt it.
	bundleIDPrefix = "bundle:"
)

// group splits entries into runs that may share one message: consecutive,
// same subject (or, for a mixable family, same family and owner: a mixed
// bundle, mixed.go) and watchlists, at most MaxBundle events and
// maxBundleBytes.
// An event whose JSON holds a newline (not compacted by its producer) is
// stored alone, as the bundle format separates events by newlines.
func group(entries []Entry) [][]Entry {
	var runs [][]Entry
	start, size := 0, 0
	alone := false
	// The addresses of the run so far: a mixed bundle's headers name each
	// distinct one, and they count toward maxBundleBytes so that the
	// message stays under NATS's max_payload whatever their length.
	// (A run of one address, the common case, costs no map look-up.)
	seen := map[Address]bool{}
	var last *Address
	cost := func(e *Entry) int {
		n := len(e.Data) + 1
		if mixable(e.Address.Family) {
			n += 4 // its index in Evt-Addr-Idx
			if (last == nil || e.Address != *last) && !seen[e.Address] {
				n += 3*(len(e.Address.DeviceID)+len(e.Address.AgentID)+len(e.Address.EventType)) + 3
			}
		}
		return n
	}
	note := func(e *Entry) {
		if last == nil || e.Address != *last {
			seen[e.Address] = true
			last = &e.Address
		}
	}
	for i := range entries {
		e := &entries[i]
		multiline := bytes.IndexByte(e.Data, '\n') >= 0
		if i > start {
			first := &entries[start]
			if alone || multiline || i-start == MaxBundle || size+cost(e) > maxBundleBytes ||
				(e.Address != first.Address && !sameStream(e.Address, first.Address)) ||
				!slices.Equal(e.Watchlists, first.Watchlists) {
				runs = append(runs, entries[start:i])
				start, size = i, 0
				clear(seen)
				last = nil
			}
		}
		alone = multiline
		size += cost(e)
		note(e)
	}
	if start < len(entries) {
		runs = append(runs, entries[start:])
	}
	return runs
}

// message builds the JetStream message of one run.
func message(run []Entry) *nats.Msg {
	first := run[0]
	msg := &nats.Msg{Subject: first.Address.Subject(), Header: nats.Header{}}
	for _, e := range run[1:] {
		if e.Address != first.Address {
			msg.Subject = mixedSubject(first.Address)
			mixedHeaders(msg.Header, run)
			break
		}
	}
	if len(first.Watchlists) > 0 {
		msg.Header[headerWatchlists] = []string{strings.Join(first.Watchlists, ",")}
	}
	if len(run) == 1 {
		msg.Data = first.Data
		msg.Header[headerMsgID] = []string{msgID(first)}
		return msg
	}
	size := 0
	ids := make([]string, len(run))
	// The run shares owner and family, so the digest of its identities is
	// that prefix once, then the ids.
	digest := sha256.New()
	digest.Write([]byte(msgID(Entry{Address: first.Address})))
	for i, e := range run {
		size += len(e.Data) + 1
		ids[i] = e.ID
		digest.Write([]byte(e.ID))
		digest.Write([]byte{0})
	}
	data := make([]byte, 0, size)
	for i, e := range run {
		if i > 0 {
			data = append(data, '\n')
		}
		data = append(data, e.Data...)
	}
	idList, _ := json.Marshal(ids) // strings always encode
	msg.Data = data
	msg.Header[headerBundle] = []string{strconv.Itoa(len(run))}
	msg.Header[headerIDs] = []string{string(idList)}
	msg.Header[headerMsgID] = []string{bundleIDPrefix + hex.EncodeToString(digest.Sum(nil)[:16])}
	return msg
}

// records unpacks a stored message into its events.
func records(subject string, hdr nats.Header, seq uint64, ts time.Time, data []byte) ([]Record, error) {
	addr, err := ParseSubject(subject)
	if err != nil {
		return nil, err
	}
	var watchlists []string
	if w := hdr.Get(headerWatchlists); w != "" {
		watchlists = strings.Split(w, ",")
	}
	trace := hdr.Get(headerTrace)
	n := 1
	if b := hdr.Get(headerBundle); b != "" {
		n, err = strconv.Atoi(b)
		if err != nil || n < 1 || n > MaxBundle {
			return nil, fmt.Errorf("message %d: bad %s header %q", seq, headerBundle, b)
		}
	}
	var addrs []Address
	if isMixed(subject) {
		if addrs, err = mixedAddresses(subject, hdr, n); err != nil {
			return nil, fmt.Errorf("message %d: %w", seq, err)
		}
	}
	recs := make([]Record, n)
	for i := range recs {
		item := data
		if i < n-1 {
			end := bytes.IndexByte(data, '\n')
			if end < 0 {
				return nil, fmt.Errorf("message %d: %d events announced, fewer stored", seq, n)
			}
			item, data = data[:end:end], data[end+1:]
		}
		recs[i] = Record{Seq: position(seq, i, n), Address: addr, Watchlists: watchlists, ReceivedAt: ts, Data: item, Trace: trace}
		if addrs != nil {
			recs[i].Address = addrs[i]
		}
	}
	return recs, nil
}

// bundledIDs returns the de-duplication identities a stored message holds,
// from its headers alone.
func bundledIDs(subject string, hdr nats.Header) ([]string, error) {
	if hdr.Get(headerBundle) == "" {
		id := hdr.Get(headerMsgID)
		if id == "" {
			return nil, nil
		}
		return []string{id}, nil
	}
	addr, err := ParseSubject(subject)
	if err != nil {
		return nil, err
	}
	ids, err := idList(hdr.Get(headerIDs))
	if err != nil {
		return nil, fmt.Errorf("bad %s header: %w", headerIDs, err)
	}
	for i, id := range ids {
		ids[i] = msgID(Entry{Address: addr, ID: id})
	}
	return ids, nil
}

// idList decodes an Evt-Ids header. Ids without escapes (all of them, in
// practice) are sliced out of the header directly: a restart reads the
// header of every bundle of the de-duplication window, and encoding/json
// was a third of that read.
func idList(h string) ([]string, error) {
	if strings.IndexByte(h, '\\') >= 0 || len(h) < 2 || h[0] != '[' || h[len(h)-1] != ']' {
		var ids []string
		err := json.Unmarshal([]byte(h), &ids)
		return ids, err
	}
	body := h[1 : len(h)-1]
	if body == "" {
		return []string{}, nil
	}
	ids := make([]string, 0, strings.Count(body, ",")+1)
	for len(body) > 0 {
		if body[0] != '"' {
			return nil, errors.New("not a list of strings")
		}
		end := strings.IndexByte(body[1:], '"')
		if end < 0 {
			return nil, errors.New("unterminated string")
		}
		ids = append(ids, body[1:1+end])
		body = body[end+2:]
		if len(body) > 0 {
			if body[0] != ',' {
				return nil, errors.New("not a list of strings")
			}
			body = body[1:]
			if body == "" {
				return nil, errors.New("trailing comma")
			}
		}
	}
	return ids, nil
}
