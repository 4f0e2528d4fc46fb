package stream

import (
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/evtctl/evtctl/internal/hub"
	"github.com/evtctl/evtctl/internal/netpoll"
)

// The read side of the WebSocket streams. Their clients send nothing but
// control frames (a data message is read and dropped), so the read side is
// a small state machine fed with bytes as they arrive — from the poller
// when a socket becomes readable, or from a reader goroutine where there is
// no poller (clientwatch.go) — that keeps between two feeds only what a
// frame split across reads needs. It does what gorilla/websocket's reader
// did before (RFC 6455 section 5): pings are answered with a pong, a
// client's close is echoed with its code, a frame breaking the protocol
// closes with 1002 and the reasons gorilla gave, a message over the read
// limit closes with 1009.

// wsReadLimit bounds a data message a client sends (all its fragments).
const wsReadLimit = 64 << 10

// wsMaxPartial bounds what a frame split across reads leaves to keep: the
// longest header of a data frame (14 bytes) or a whole control frame (2
// bytes, mask, 125 bytes of payload), less one byte.
const wsMaxPartial = 2 + 4 + 125 - 1

// opContinuation and opBinary are the opcodes wsFrame never writes.
const (
	opContinuation = 0x0
	opBinary       = 0x2
)

// wsIn is one connection's read state.
type wsIn struct {
	w    netpoll.Watch
	sess *hub.Session
	// partial is the start of a frame that did not arrive whole; the
	// reader puts it before the bytes it reads next.
	partial []byte
	// skip is what is left of a data frame's payload, dropped as it comes.
	skip int64
	// msgLen is the length of the data message being received so far;
	// inMessage is set while its final frame is still to come.
	msgLen    int64
	inMessage bool
}

func (r *wsIn) Readable(w *netpoll.Watch, scratch []byte) { readable(w, scratch, r.sess, r) }
func (r *wsIn) watch() *netpoll.Watch                     { return &r.w }
func (r *wsIn) pending() []byte                           { return r.partial }

// feed handles b, which starts with the partial frame of the previous
// feed. It reports false once the connection reads no more: the client
// closed, or broke the protocol, and the session is closing.
func (r *wsIn) feed(b []byte) bool {
	// Nothing is kept between feeds unless a frame is split (rare).
	r.partial = nil
	for len(b) > 0 {
		if r.skip > 0 {
			k := int(min(r.skip, int64(len(b))))
			r.skip -= int64(k)
			b = b[k:]
			continue
		}
		n, ok := r.frame(b)
		if !ok {
			return false
		}
		if n == 0 {
			r.partial = append([]byte(nil), b...) // at most wsMaxPartial
			return true
		}
		b = b[n:]
	}
	return true
}

// frame handles the frame at the start of b: it returns how many bytes it
// took (0 when b holds only the start of the frame; a data frame's payload
// is left to skip), and false when the connection reads no more.
func (r *wsIn) frame(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, true
	}
	fin, op := b[0]&0x80 != 0, b[0]&0x0f
	masked, length := b[1]&0x80 != 0, int64(b[1]&0x7f)
	var problems []string
	for i, bit := range [3]byte{0x40, 0x20, 0x10} {
		if b[0]&bit != 0 { // no extension was negotiated
			problems = append(problems, "RSV"+strconv.Itoa(i+1)+" set")
		}
	}
	switch op {
	case opClose, opPing, opPong:
		if length > 125 {
			problems = append(problems, "len > 125 for control")
		}
		if !fin {
			problems = append(problems, "FIN not set on control")
		}
	case opText, opBinary:
		if r.inMessage {
			problems = append(problems, "data before FIN")
		}
	case opContinuation:
		if !r.inMessage {
			problems = append(problems, "continuation after FIN")
		}
	default:
		problems = append(problems, "bad opcode "+strconv.Itoa(int(op)))
	}
	if !masked {
		// Client frames are masked (RFC 6455 section 5.1).
		problems = append(problems, "bad MASK")
	}
	if len(problems) > 0 {
		r.fail(1002, strings.Join(problems, ", "))
		return 0, false
	}
	h := 2
	switch length {
	case 126:
		if len(b) < 4 {
			return 0, true
		}
		length, h = int64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return 0, true
		}
		u := binary.BigEndian.Uint64(b[2:])
		if u > wsReadLimit {
			r.fail(1009, "")
			return 0, false
		}
		length, h = int64(u), 10
	}
	h += 4 // the mask key
	if len(b) < h {
		return 0, true
	}
	if op == opText || op == opBinary || op == opContinuation {
		if op != opContinuation {
			r.msgLen = 0
		}
		r.msgLen += length
		if r.msgLen > wsReadLimit {
			r.fail(1009, "")
			return 0, false
		}
		r.inMessage = !fin
		r.skip = length
		return h, true
	}
	end := h + int(length)
	if len(b) < end {
		return 0, true
	}
	payload := b[h:end]
	key := b[h-4 : h]
	for i := range payload {
		payload[i] ^= key[i&3]
	}
	switch op {
	case opPing:
		r.sess.SendControl(wsPong(payload))
	case opClose:
		code := 1005 // no status received
		if len(payload) >= 2 {
			code = int(binary.BigEndian.Uint16(payload))
			if !validReceivedCloseCode(code) {
				r.fail(1002, "bad close code "+strconv.Itoa(code))
				return 0, false
			}
			if !utf8.Valid(payload[2:]) {
				r.fail(1002, "invalid utf8 payload in close frame")
				return 0, false
			}
		}
		if code == 1005 {
			code = 1000 // an empty close is echoed as a normal closure
		}
		r.sess.CloseWithFrame(hub.ReasonClientGone, wsClose(code, ""))
		return 0, false
	}
	return end, true
}

// fail closes the session with a close frame of code and reason.
func (r *wsIn) fail(code int, reason string) {
	r.sess.CloseWithFrame(hub.ReasonClientGone, wsClose(code, reason))
}

// validReceivedCloseCode reports whether a client may send code in a
// close frame (RFC 6455 section 7.4, the codes gorilla/websocket
// accepted): 1004-1006 and 1015 are never sent, 1014-2999 are reserved or
// unknown, 3000-4999 are for libraries and applications.
func validReceivedCloseCode(code int) bool {
	return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1013 || code >= 3000 && code <= 4999
}
