package composite

import (
	"fmt"

	"github.com/evtctl/evtctl/internal/store"
	"github.com/evtctl/evtctl/pkg/proto"
)

// FromRecord turns a stored sound event into an engine Event. The log only
// holds events that passed proto.Extract on ingest, so an error here means
// a foreign message on the sound subjects.
func FromRecord(rec store.Record) (*Event, error) {
	rt, errs := proto.Extract(proto.FamilySound, rec.Data)
	if len(errs) > 0 {
		return nil, fmt.Errorf("sound event at %d: %s %s", rec.Seq, errs[0].Field, errs[0].Reason)
	}
	return &Event{
		ID:      rt.ID,
		LabelID: rt.EventType,
		MicID:   rt.DeviceID,
		EdgeID:  rt.AgentID,
		Time:    rt.Time.UnixNano(),
		Data:    rec.Data,
	}, nil
}
