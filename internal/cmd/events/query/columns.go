package query

import (
	"time"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

func routing(r Record) proto.Routing {
	rt, _ := proto.Extract(r.V.Family, r.V.Event)
	return rt
}

// columns is the table of `events query`: the routing attributes the
// gateway filters on, then a short summary of the payload (proto.Summary);
// the payload itself is in -o json. The same on a terminal and in scripts.
func columns() []cmdutil.Column[Record] {
	return []cmdutil.Column[Record]{
		cmdutil.Col("CURSOR", func(r Record) string { return r.V.Cursor }),
		cmdutil.Col("FAMILY", func(r Record) string { return string(r.V.Family) }),
		cmdutil.Col("OWNER", func(r Record) string { return r.V.Owner }),
		cmdutil.TimeCol("RECEIVED", func(r Record) time.Time { return r.V.ReceivedAt }),
		cmdutil.Col("DEVICE", func(r Record) string { return routing(r).DeviceID }),
		cmdutil.Col("TYPE", func(r Record) string { return routing(r).EventType }),
		cmdutil.Col("SUMMARY", func(r Record) string { return proto.Summary(r.V.Family, r.V.Event) }),
	}
}
