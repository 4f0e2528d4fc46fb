package composite

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// IDPrefix starts every composite id this engine derives (the edge audio box's
// example id is "composite_evt_123").
const IDPrefix = "composite_evt_"

// compositeID derives a composite's id from its rule and the ids of the
// events it consumed, in time order. The same events through the same rule
// always give the same id, on any node and after any restart, so a
// composite emitted twice is stored once (the log de-duplicates by id).
// 96 bits of SHA-256 keep ids short; a collision needs ~2^48 composites.
func compositeID(ruleID string, events []*Event) string {
	h := sha256.New()
	var n [4]byte
	field := func(s string) { // length-prefixed: ("ab","c") and ("a","bc") differ
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(ruleID)
	for _, ev := range events {
		field(ev.ID)
	}
	sum := h.Sum(nil)
	return IDPrefix + hex.EncodeToString(sum[:12])
}
