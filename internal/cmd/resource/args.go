package resource

import (
	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
)

// IDArgs accepts exactly one id (many=false) or at least one (many=true),
// and otherwise says in a sentence what is missing, as a usage error.
func IDArgs(kind string, many bool) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) == 0:
			list := "list"
			if p := cmd.Parent(); p != nil {
				list = p.CommandPath() + " list"
			}
			return cmdutil.FlagErrorf("give the id of the %s (see '%s')", kind, list)
		case len(args) > 1 && !many:
			return cmdutil.FlagErrorf("%s takes one %s id, got %d arguments", cmd.CommandPath(), kind, len(args))
		}
		return nil
	}
}

// NoArgs rejects positional arguments with a sentence.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cmdutil.FlagErrorf("%s takes no arguments (got %q); use flags", cmd.CommandPath(), args[0])
	}
	return nil
}
