package query

import (
	"time"
	"unicode/utf8"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/pkg/proto"
)

// eventWidth is how much of the payload a terminal row shows; scripts get
// all of it.
const eventWidth = 60

func routing(r Record) proto.Routing {
	rt, _ := proto.Extract(r.V.Family, r.V.Event)
	return rt
}

// columns is the table of `events query`: the routing attributes the
// gateway filters on, then the payload itself.
func columns(tty bool) []cmdutil.Column[Record] {
	return []cmdutil.Column[Record]{
		cmdutil.Col("CURSOR", func(r Record) string { return r.V.Cursor }),
		cmdutil.Col("FAMILY", func(r Record) string { return string(r.V.Family) }),
		cmdutil.Col("OWNER", func(r Record) string { return r.V.Owner }),
		cmdutil.TimeCol("RECEIVED", func(r Record) time.Time { return r.V.ReceivedAt }),
		cmdutil.Col("DEVICE", func(r Record) string { return routing(r).DeviceID }),
		cmdutil.Col("TYPE", func(r Record) string { return routing(r).EventType }),
		cmdutil.Col("EVENT", func(r Record) string {
			s := string(r.V.Event)
			if tty && utf8.RuneCountInString(s) > eventWidth {
				s = string([]rune(s)[:eventWidth-1]) + "…"
			}
			return s
		}),
	}
}
