package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
	"github.com/evtctl/evtctl/internal/config"
	"github.com/evtctl/evtctl/internal/iostreams"
)

// DefaultFile is where `config init` writes and `config check` reads.
const DefaultFile = "evtctl.yaml"

// InitOptions are the inputs of `evtctl config init`.
type InitOptions struct {
	IO    *iostreams.IOStreams
	File  string // "-" = stdout
	Force bool
}

// NewCmdInit builds `evtctl config init`.
func NewCmdInit(f *cmdutil.Factory) *cobra.Command {
	opts := &InitOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "init [--file PATH] [--force]",
		Short: "Write a commented configuration file with every key and its default",
		Long: "Write a configuration file listing every key with its default value, what it\n" +
			"does and its environment variable. Edit it, then run `evtctl config check`.",
		Example: "  evtctl config init\n  evtctl config init --file /etc/evtctl/evtctl.yaml\n  evtctl config init --file - | less",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.FlagErrorf("config init takes no arguments; use --file %s", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.File == "" {
				return cmdutil.FlagErrorf("--file must not be empty")
			}
			return initRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.File, "file", "f", DefaultFile, "where to write the file (- for standard output)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite an existing file")
	return cmdutil.NoFormats(cmd)
}

func initRun(opts *InitOptions) error {
	data := config.Template()
	if opts.File == "-" {
		_, err := opts.IO.Out.Write(data)
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if opts.Force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(opts.File, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; use --force to overwrite it", opts.File)
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", opts.File, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", opts.File, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", opts.File, err)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Wrote %s\n", opts.File)
	return nil
}
