// Package root assembles the evtctl command tree and runs it.
package root

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/buildinfo"
	configcmd "github.com/evtctl/evtctl/internal/cmd/config"
	datacmd "github.com/evtctl/evtctl/internal/cmd/data"
	"github.com/evtctl/evtctl/internal/cmd/endpoints"
	"github.com/evtctl/evtctl/internal/cmd/events"
	"github.com/evtctl/evtctl/internal/cmd/filters"
	"github.com/evtctl/evtctl/internal/cmd/gendocs"
	"github.com/evtctl/evtctl/internal/cmd/keys"
	loadtestcmd "github.com/evtctl/evtctl/internal/cmd/loadtest"
	replaycmd "github.com/evtctl/evtctl/internal/cmd/replay"
	"github.com/evtctl/evtctl/internal/cmd/resource"
	"github.com/evtctl/evtctl/internal/cmd/rules"
	"github.com/evtctl/evtctl/internal/cmd/serve"
	tailcmd "github.com/evtctl/evtctl/internal/cmd/tail"
	"github.com/evtctl/evtctl/internal/cmd/version"
	"github.com/evtctl/evtctl/internal/cmd/webhooks"
	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/iostreams"
)

// NewCmdRoot builds the whole command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "evtctl <command>",
		Short:         "Event-streaming gateway and its command-line suite",
		Long:          "evtctl pushes detection events (sound, video analysis, face identification, composites)\nto WebSocket, SSE and webhook consumers, and manages the gateway from the terminal.",
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       buildinfo.Version,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if f.Globals.NoColor {
				f.IOStreams.SetNoColor(true)
			}
			if err := cmdutil.CheckFormats(cmd, f); err != nil {
				return err
			}
			// --jq implies -o json; it is checked (and compiled) before
			// any command runs, so a bad expression sends nothing.
			if err := cmdutil.CheckJQ(f, cmd.Flags().Changed("output")); err != nil {
				return err
			}
			if f.Globals.Quiet {
				f.Globals.Output = "id"
			}
			return nil
		},
	}
	cmd.SetIn(f.IOStreams.In)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: err}
	})

	pf := cmd.PersistentFlags()
	pf.StringVar(&f.Globals.Server, "server", "", "gateway URL (env EVTCTL_SERVER, default "+cmdutil.DefaultServer+")")
	pf.StringVar(&f.Globals.Token, "token", "", "API token (env EVTCTL_TOKEN)")
	pf.StringVarP(&f.Globals.Output, "output", "o", "table", "output format: table|json|yaml|id")
	pf.BoolVarP(&f.Globals.Quiet, "quiet", "q", false, "print only ids (same as -o id)")
	pf.BoolVar(&f.Globals.NoColor, "no-color", false, "disable colour (also NO_COLOR)")
	pf.StringVar(&f.Globals.JQ, "jq", "", "filter the JSON output with a jq expression (implies -o json; strings are printed raw)")
	pf.StringVar(&f.Globals.Context, "context", "", "use this context of the config file (see evtctl config get-contexts)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json", "yaml", "id"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("context", configcmd.CompleteContexts(f))

	// Every command of evtctl, in the order of `evtctl --help` (cobra sorts
	// them by name there).
	cmd.AddCommand(configcmd.Command.New(f))
	cmd.AddCommand(datacmd.Command.New(f))
	cmd.AddCommand(endpoints.Command.New(f))
	cmd.AddCommand(events.Command.New(f))
	cmd.AddCommand(filters.Command.New(f))
	cmd.AddCommand(gendocs.NewCmdGenDocs(f))
	cmd.AddCommand(keys.Command.New(f))
	cmd.AddCommand(loadtestcmd.NewCmdLoadtest(f, nil))
	cmd.AddCommand(replaycmd.NewCmdReplay(f))
	cmd.AddCommand(rules.Command.New(f))
	cmd.AddCommand(serve.NewCmdServe(f, nil))
	cmd.AddCommand(tailcmd.NewCmdTail(f, nil))
	cmd.AddCommand(version.NewCmdVersion(f))
	cmd.AddCommand(webhooks.Command.New(f))

	// cobra's completion group too: an unknown verb of any group of the
	// tree is a usage error (resource.Group does it for ours).
	cmd.InitDefaultCompletionCmd()
	for _, c := range cmd.Commands() {
		if c.Name() == "completion" {
			cmdutil.NoFormats(c) // shell scripts
		}
	}
	var groups func(*cobra.Command)
	groups = func(parent *cobra.Command) {
		for _, c := range parent.Commands() {
			if c.HasSubCommands() && !c.Runnable() { // cobra would print help, exit 0
				c.Args = resource.UnknownVerb
				c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
			}
			groups(c)
		}
	}
	groups(cmd)
	return cmd
}

// Main runs evtctl with args and returns the process exit code.
func Main(ios *iostreams.IOStreams, args []string) int {
	f := cmdutil.NewFactory(ios, buildinfo.Version)
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	if !errors.Is(err, cmdutil.ErrSilent) {
		printError(ios, err)
	}
	code := cmdutil.ExitCode(err)
	// cobra reports unknown commands and bad args as plain errors.
	if code == cmdutil.ExitFailure && isUsageError(err) {
		code = cmdutil.ExitUsage
	}
	return code
}

func printError(ios *iostreams.IOStreams, err error) {
	msg := err.Error()
	if msg != "" && !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "\n") {
		msg += "."
	}
	fmt.Fprintln(ios.ErrOut, "evtctl: "+strings.TrimRight(msg, "\n"))
	var fe *cmdutil.FlagError
	if errors.As(err, &fe) || isUsageError(err) {
		fmt.Fprintln(ios.ErrOut, "Run 'evtctl --help' or 'evtctl <command> --help' for usage.")
	}
}

func isUsageError(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
