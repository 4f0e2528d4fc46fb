package root

import (
	"github.com/spf13/cobra"

	configcmd "github.com/evtctl/evtctl/internal/cmd/config"
	loadtestcmd "github.com/evtctl/evtctl/internal/cmd/loadtest"
	"github.com/evtctl/evtctl/internal/cmd/serve"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// Command groups register themselves here; keep this list sorted.
func init() {
	subcommands = append(subcommands,
		configcmd.NewCmdConfig,
		func(f *cmdutil.Factory) *cobra.Command { return loadtestcmd.NewCmdLoadtest(f, nil) },
		func(f *cmdutil.Factory) *cobra.Command { return serve.NewCmdServe(f, nil) },
	)
}
