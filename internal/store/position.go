package store

// An event's position in the log is its cursor: the API, the streams and
// the webhook deliveries show it, and every reader resumes from it. A
// JetStream message holds one event or a bundle of several (see bundle.go),
// so a position names the message and the event inside it:
//
//	position = message sequence << 8 | index
//
// where the last event of a message always gets index 255, whatever the
// message's size. Positions keep log order, and "the last event of message
// n" plus one is the first event of message n+1, so a reader that saw the
// whole of a message asks for the next one, and a cursor whose message is
// gone shows a gap only when events were really lost (its message had more
// events after it, or later messages are gone too).
const (
	posBits = 8
	lastIdx = 1<<posBits - 1
	// MaxBundle is the most events one message holds: every index but the
	// last one's 255 must fit below it.
	MaxBundle = lastIdx
)

// position returns the position of the i-th of n events of message seq.
func position(seq uint64, i, n int) uint64 {
	if i == n-1 {
		return seq<<posBits | lastIdx
	}
	return seq<<posBits | uint64(i)
}

// msgSeq returns the sequence of the message holding position pos.
func msgSeq(pos uint64) uint64 { return pos >> posBits }

// firstPos is the position of the first event of message seq (any event of
// it is at or after this).
func firstPos(seq uint64) uint64 { return seq << posBits }

// lastPos is the position of the last event of message seq; 0 for 0 (an
// empty log).
func lastPos(seq uint64) uint64 {
	if seq == 0 {
		return 0
	}
	return seq<<posBits | lastIdx
}
