package stream

import (
	"encoding/binary"
	"time"

	sse "github.com/tmaxmax/go-sse"
)

// The wire encodings of the frames streams write. A record's frame is
// encoded once per kind of stream and shared, read-only, by every session
// that receives it (hub.Frame): fan-out to N subscribers costs N queue
// appends, not N encodings.

// WebSocket opcodes of the frames the server writes.
const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// wsFrame encodes one final, unmasked server frame. gorilla/websocket does
// the handshake; the read side (wsread.go) and the write side are ours,
// the write side (the hub's sessions) so that many queued frames go out in
// one writev and one encoded frame serves every subscriber (gorilla writes
// one frame per system call and encodes per connection). Server frames are
// never masked, so the encoding is just the RFC 6455 header.
func wsFrame(op byte, payload []byte) []byte {
	n := len(payload)
	var hdr [10]byte
	hdr[0] = 0x80 | op
	h := 2
	switch {
	case n < 126:
		hdr[1] = byte(n)
	case n <= 0xFFFF:
		hdr[1] = 126
		binary.BigEndian.PutUint16(hdr[2:], uint16(n))
		h = 4
	default:
		hdr[1] = 127
		binary.BigEndian.PutUint64(hdr[2:], uint64(n))
		h = 10
	}
	out := make([]byte, h+n)
	copy(out, hdr[:h])
	copy(out[h:], payload)
	return out
}

// wsText is a text message frame.
func wsText(payload []byte) []byte { return wsFrame(opText, payload) }

// wsClose is a close frame with a status code and a short reason.
func wsClose(code int, reason string) []byte {
	if len(reason) > 120 {
		reason = reason[:120]
	}
	p := make([]byte, 2+len(reason))
	binary.BigEndian.PutUint16(p, uint16(code))
	copy(p[2:], reason)
	return wsFrame(opClose, p)
}

// wsPong answers a ping with its payload.
func wsPong(payload []byte) []byte { return wsFrame(opPong, payload) }

// wsKeepAlive is the composite WebSocket's keep-alive: an empty text
// message (docs/sources.md#composite-ws-protocol).
var wsKeepAlive = wsText(nil)

// sseEvent encodes one SSE event with a name, an id and one data line.
func sseEvent(name, id string, data []byte) []byte {
	m := &sse.Message{Type: sse.Type(name)}
	if id != "" {
		// An empty id: field would reset the client's Last-Event-ID.
		m.ID = sse.ID(id)
	}
	m.AppendData(string(data))
	b, _ := m.MarshalText()
	return b
}

// sseRetry is the stream's opening "retry:" field.
func sseRetry(d time.Duration) []byte {
	m := &sse.Message{Retry: d}
	b, _ := m.MarshalText()
	return b
}

// sseComment is a comment line, used as heartbeat.
func sseComment(text string) []byte {
	m := &sse.Message{}
	m.AppendComment(text)
	b, _ := m.MarshalText()
	return b
}
