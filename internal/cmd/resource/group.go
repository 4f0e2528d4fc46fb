package resource

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evtctl/evtctl/internal/cmdutil"
)

// Verb is one command of a group: a CreateCmd, ListCmd, GetCmd, UpdateCmd
// or DeleteCmd value, or a noun's own command as a Func.
type Verb interface {
	New(f *cmdutil.Factory) *cobra.Command
}

// Func is a Verb built by a function: a command with logic of its own.
type Func func(*cmdutil.Factory) *cobra.Command

// New builds the command.
func (fn Func) New(f *cmdutil.Factory) *cobra.Command { return fn(f) }

// Group is a command group such as `evtctl endpoints`: its help and its
// verbs, built in order (help lists them by name).
type Group struct {
	Use     string
	Aliases []string
	Short   string
	Long    string
	Verbs   []Verb
}

// New builds the group command and its verbs. The group alone prints its
// help; an unknown verb is a usage error (exit 2), as on the root command.
func (g Group) New(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use: g.Use, Aliases: g.Aliases, Short: g.Short, Long: g.Long,
		Args: UnknownVerb,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	for _, v := range g.Verbs {
		cmd.AddCommand(v.New(f))
	}
	return cmd
}

// UnknownVerb is the Args of a command group: any argument is a verb the
// group does not have (cobra leaves it to the group, which would print its
// help and exit 0).
func UnknownVerb(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, set only when it suggests itself
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
	}
	return cmdutil.FlagErrorf("%s", msg)
}
