// Package events implements the `evtctl events` command group.
package events

import (
	"github.com/evtctl/evtctl/internal/cmd/events/query"
	"github.com/evtctl/evtctl/internal/cmd/events/send"
	"github.com/evtctl/evtctl/internal/cmd/resource"
)

// Command is `evtctl events`.
var Command = resource.Group{
	Use:     "events <command>",
	Aliases: []string{"event"},
	Short:   "Send events to the gateway and read recorded ones",
	Long: "Send events (needs a key with events:write) and query the event log (events:read).\n" +
		"For live events use 'evtctl tail'.",
	Verbs: []resource.Verb{resource.Func(send.NewCmdSend), resource.Func(query.NewCmdQuery)},
}
