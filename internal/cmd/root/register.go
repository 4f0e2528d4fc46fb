package root

import configcmd "github.com/evtctl/evtctl/internal/cmd/config"

// Command groups register themselves here; keep this list sorted.
func init() {
	subcommands = append(subcommands, configcmd.NewCmdConfig)
}
