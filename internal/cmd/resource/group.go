package resource

import (
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

// New builds the group command and its verbs.
func (g Group) New(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: g.Use, Aliases: g.Aliases, Short: g.Short, Long: g.Long}
	for _, v := range g.Verbs {
		cmd.AddCommand(v.New(f))
	}
	return cmd
}
