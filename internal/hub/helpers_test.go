package hub

import (
	"encoding/binary"

	"github.com/evtctl/evtctl/internal/store"
)

// The tests' kind of stream: WebSocket text frames of the payload, routed
// by tenant, closing with the close frames a client of the composite
// WebSocket gets. The hub itself knows no kind; the stream package
// defines the real ones.
const reasonRevoked = "key_revoked"

var testKind = &Kind{
	Name: "ws_composite",
	Final: func(reason string) []byte {
		switch reason {
		case ReasonSlowConsumer, ReasonWriteTimeout:
			return wsClose(4008, "slow consumer: resume with ?after=")
		case ReasonShutdown:
			return wsClose(1001, "server shutting down")
		case reasonRevoked:
			return wsClose(1008, "API key revoked")
		}
		return nil
	},
}

func tenantKey(owner string) Key { return Key("tenant/" + owner) }

// testRoute sends a record to its tenant's key.
func testRoute(rec store.Record, to func(Key, *Frame)) {
	to(tenantKey(rec.Address.Owner), NewFrame(func() []byte { return wsText(rec.Data) }))
}

// acme is a subscription to tenant acme's records.
var acme = Subscription{Kind: testKind, Keys: []Key{tenantKey("acme")}}

// WebSocket server frames, as the stream package encodes them.
const (
	opText  = 0x1
	opClose = 0x8
)

func wsFrame(op byte, payload []byte) []byte {
	n := len(payload)
	hdr := []byte{0x80 | op, byte(n)}
	switch {
	case n > 0xFFFF:
		hdr = binary.BigEndian.AppendUint64([]byte{0x80 | op, 127}, uint64(n))
	case n >= 126:
		hdr = binary.BigEndian.AppendUint16([]byte{0x80 | op, 126}, uint16(n))
	}
	return append(hdr, payload...)
}

func wsText(payload []byte) []byte { return wsFrame(opText, payload) }

func wsClose(code int, reason string) []byte {
	return wsFrame(opClose, append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...))
}
