// Package config implements the `evtctl config` command group.
package config

import "github.com/evtctl/evtctl/internal/cmd/resource"

// Command is `evtctl config`.
var Command = resource.Group{
	Use:   "config <command>",
	Short: "Write and check the gateway's configuration file",
	Long: "Write and check the configuration file of the gateway (evtctl serve --config FILE).\n\n" +
		"Every key can also be set with an EVTCTL_<SECTION>_<KEY> environment variable,\n" +
		"which overrides the file; `evtctl config init` writes every key with its default.",
	Verbs: []resource.Verb{resource.Func(NewCmdInit), resource.Func(NewCmdCheck)},
}
