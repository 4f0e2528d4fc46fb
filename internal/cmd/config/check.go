package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/iostreams"
)

// CheckOptions are the inputs of `evtctl config check`.
type CheckOptions struct {
	IO   *iostreams.IOStreams
	File string // "-" = standard input
}

// NewCmdCheck builds `evtctl config check`.
func NewCmdCheck(f *cmdutil.Factory) *cobra.Command {
	opts := &CheckOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Report every problem of a configuration file",
		Long: "Check a configuration file (default " + DefaultFile + "; - reads standard input):\n" +
			"syntax, unknown keys, values of the wrong type and invalid values. Each problem\n" +
			"is printed as file:line: key: message on standard error and the exit code is 1.\n" +
			"Environment variables are not taken into account.",
		Example: "  evtctl config check\n  evtctl config check /etc/evtctl/evtctl.yaml",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cmdutil.FlagErrorf("config check takes at most one file, got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = DefaultFile
			if len(args) == 1 {
				opts.File = args[0]
			}
			return checkRun(opts)
		},
	}
	return cmd
}

func checkRun(opts *CheckOptions) error {
	name := opts.File
	var data []byte
	var err error
	if name == "-" {
		name = "<stdin>"
		data, err = io.ReadAll(opts.IO.In)
	} else {
		data, err = os.ReadFile(name)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s does not exist (write one with 'evtctl config init')", name)
	}
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", name, err)
	}
	problems := config.Check(name, data)
	if len(problems) == 0 {
		fmt.Fprintf(opts.IO.Out, "%s: OK\n", name)
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(opts.IO.ErrOut, p.String())
	}
	return cmdutil.ErrSilent
}
