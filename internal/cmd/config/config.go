// Package config implements the `evtctl config` command group.
package config

import "github.com/evtctl/evtctl/internal/cmd/resource"

// Command is `evtctl config`.
var Command = resource.Group{
	Use:   "config <command>",
	Short: "Write and check the gateway's configuration file; switch the CLI between gateways",
	Long: "Write and check the configuration file of the gateway (evtctl serve --config FILE).\n" +
		"Every key can also be set with an EVTCTL_<SECTION>_<KEY> environment variable,\n" +
		"which overrides the file; `evtctl config init` writes every key with its default.\n\n" +
		"Contexts name the gateways the CLI talks to (an edge box each, a cloud one), each with\n" +
		"its server and token, in $XDG_CONFIG_HOME/evtctl/config.yaml (~/.config/evtctl/config.yaml):\n" +
		"`set-context`, `use-context`, `get-contexts`, and --context NAME on any command.\n" +
		"A flag (--server, --token) wins over the environment (EVTCTL_SERVER, EVTCTL_TOKEN),\n" +
		"which wins over the context, which wins over the default server.",
	Verbs: []resource.Verb{resource.Func(NewCmdInit), resource.Func(NewCmdCheck),
		resource.Func(NewCmdSetContext), resource.Func(NewCmdUseContext), resource.Func(NewCmdGetContexts)},
}
