package root

import (
	"github.com/spf13/cobra"

	configcmd "github.com/evtctl/evtctl/internal/cmd/config"
	datacmd "github.com/evtctl/evtctl/internal/cmd/data"
	"github.com/evtctl/evtctl/internal/cmd/endpoints"
	"github.com/evtctl/evtctl/internal/cmd/events"
	"github.com/evtctl/evtctl/internal/cmd/filters"
	"github.com/evtctl/evtctl/internal/cmd/gendocs"
	"github.com/evtctl/evtctl/internal/cmd/keys"
	loadtestcmd "github.com/evtctl/evtctl/internal/cmd/loadtest"
	replaycmd "github.com/evtctl/evtctl/internal/cmd/replay"
	"github.com/evtctl/evtctl/internal/cmd/rules"
	"github.com/evtctl/evtctl/internal/cmd/serve"
	tailcmd "github.com/evtctl/evtctl/internal/cmd/tail"
	"github.com/evtctl/evtctl/internal/cmdutil"
)

// Command groups register themselves here; keep this list sorted.
func init() {
	subcommands = append(subcommands,
		configcmd.NewCmdConfig,
		datacmd.NewCmdData,
		endpoints.NewCmdEndpoints,
		events.NewCmdEvents,
		filters.NewCmdFilters,
		gendocs.NewCmdGenDocs,
		keys.NewCmdKeys,
		func(f *cmdutil.Factory) *cobra.Command { return loadtestcmd.NewCmdLoadtest(f, nil) },
		func(f *cmdutil.Factory) *cobra.Command { return replaycmd.NewCmdReplay(f, nil) },
		rules.NewCmdRules,
		func(f *cmdutil.Factory) *cobra.Command { return serve.NewCmdServe(f, nil) },
		func(f *cmdutil.Factory) *cobra.Command { return tailcmd.NewCmdTail(f, nil) },
	)
}
