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
	// Factory gives -o json|yaml (a report on standard output); nil = text.
	Factory *cmdutil.Factory
}

// NewCmdCheck builds `evtctl config check`.
func NewCmdCheck(f *cmdutil.Factory) *cobra.Command {
	opts := &CheckOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Report every problem of a configuration file",
		Long: "Check a configuration file (default " + DefaultFile + "; - reads standard input):\n" +
			"syntax, unknown keys, values of the wrong type and invalid values. Each problem\n" +
			"is printed as file:line: key: message on standard error and the exit code is 1\n" +
			"(-o json: {\"file\", \"ok\", \"problems\": [{\"line\", \"key\", \"message\"}]} on standard output).\n" +
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

// checkReport is `config check -o json|yaml`.
type checkReport struct {
	File     string         `json:"file"`
	OK       bool           `json:"ok"`
	Problems []checkProblem `json:"problems"`
}

type checkProblem struct {
	Line    int    `json:"line,omitempty"`
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
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
	if opts.Factory != nil && (opts.Factory.Globals.Output == cmdutil.OutputJSON || opts.Factory.Globals.Output == cmdutil.OutputYAML) {
		rep := checkReport{File: name, OK: len(problems) == 0, Problems: []checkProblem{}}
		for _, p := range problems {
			rep.Problems = append(rep.Problems, checkProblem{Line: p.Line, Key: p.Key, Message: p.Message})
		}
		if err := cmdutil.PrintOne(opts.Factory, rep, nil); err != nil {
			return err
		}
		if !rep.OK {
			return cmdutil.ErrSilent
		}
		return nil
	}
	if len(problems) == 0 {
		fmt.Fprintf(opts.IO.Out, "%s: OK\n", name)
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(opts.IO.ErrOut, p.String())
	}
	return cmdutil.ErrSilent
}
